//! `baton -c` with a large output (to `baton lab` in a process of its own):
//! every line arrives, in order, and a long string whole.

/// 50,000 lines and a string of 3,000,000 characters, through Invoke-Command.
#[test]
fn invoke_command_prints_all_of_a_large_output_in_order() {
    const LINES: usize = 50_000;
    let lab = crate::lifecycle::Lab::start(1.0);
    let line = format!(
        "Invoke-Command -ComputerName Srv1 -Credential Domain01\\User01 -ScriptBlock {{ foreach ($i in 1..{LINES}) {{ \"Line $i\" }}; 'z' * 3000000; 'end' }}"
    );
    let out = lab.baton(&["-c", &line]).output().expect("baton -c runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let mut lines = stdout.lines();
    for n in 1..=LINES {
        assert_eq!(lines.next(), Some(format!("Line {n}").as_str()), "line {n}");
    }
    let long = lines.next().expect("the long string");
    assert!(
        long.len() == 3_000_000 && long.bytes().all(|b| b == b'z'),
        "the long string whole ({} bytes)",
        long.len()
    );
    assert_eq!(lines.next(), Some("end"));
    assert_eq!(lines.next(), None, "nothing else on stdout");
}
