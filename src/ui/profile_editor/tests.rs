use super::*;

#[test]
fn values_are_checked_with_specific_errors() {
    assert_eq!(port("5986"), Ok(5986));
    assert!(port("0").unwrap_err().contains("from 1 to 65535"));
    assert!(port("70000").unwrap_err().contains("70000"));
    assert!(port("abc").unwrap_err().contains("\"abc\""));
    assert_eq!(idle_timeout("-1"), Ok(-1));
    assert_eq!(idle_timeout("60000"), Ok(60_000));
    assert!(idle_timeout("59999").unwrap_err().contains("from 60000"));
    assert!(
        idle_timeout("3000000000")
            .unwrap_err()
            .contains("2147483647")
    );
    assert!(connection_uri("https://srv:5986/wsman").is_ok());
    assert!(connection_uri("http://[fe80::1]:5985/wsman").is_ok());
    assert!(connection_uri("srv:5986").unwrap_err().contains("http://"));
    assert!(connection_uri("ftp://srv/").unwrap_err().contains("scheme"));
    assert!(
        connection_uri("https://srv:99999/")
            .unwrap_err()
            .contains("Port")
    );
    assert!(
        connection_uri("https://u:p@srv/")
            .unwrap_err()
            .contains("Credential")
    );
    assert!(host("web 01").is_err());
    assert!(thumbprint("ab").is_err());
    assert_eq!(
        thumbprint("0123456789abcdef0123456789abcdef01234567").unwrap(),
        "0123456789ABCDEF0123456789ABCDEF01234567"
    );
    assert_eq!(FIELDS.len(), 33, "every setting of the profile model");
}
