#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| baton::fuzzing::run("spnego_acceptor", data));
