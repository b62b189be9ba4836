//! Conformance with real Windows servers: pypsrp 0.9.1's recorded exchanges.

use baton::protocol::xml::Element;

use crate::common::pypsrp_transcripts;

const NS_SOAP: &str = "http://www.w3.org/2003/05/soap-envelope";

#[test]
fn every_recorded_envelope_parses_namespace_aware() {
    let mut responses = 0;
    for t in pypsrp_transcripts() {
        for (i, m) in t.messages.iter().enumerate() {
            let req = Element::parse(m.request.as_bytes())
                .unwrap_or_else(|e| panic!("{}#{i} request: {e}", t.name));
            assert!(req.is(NS_SOAP, "Envelope"), "{}#{i}", t.name);
            assert!(req.child(NS_SOAP, "Body").is_some(), "{}#{i}", t.name);
            if let Some(resp) = &m.response {
                let env = Element::parse(resp.as_bytes())
                    .unwrap_or_else(|e| panic!("{}#{i} response: {e}", t.name));
                assert!(env.is(NS_SOAP, "Envelope"), "{}#{i}", t.name);
                assert!(env.child(NS_SOAP, "Header").is_some(), "{}#{i}", t.name);
                responses += 1;
            }
        }
    }
    assert!(responses > 400, "only {responses} responses were read");
}
