//! xs:duration (XML Schema Part 2 §3.2.6) as WS-Management uses it:
//! `OperationTimeout` (`PT20S`, `PT180.000S`), `IdleTimeOut` (`PT7200.000S`),
//! `ShellRunTime`/`ShellInactivity` (`P0DT0H1M2S`).
//!
//! The parser accepts the full lexical form (sign, years, months, days,
//! hours, minutes, fractional seconds); conversion to milliseconds refuses
//! years and months, whose length is not fixed.

use crate::protocol::error::ProtocolError;

/// A parsed xs:duration. Fractional seconds are kept to the nanosecond.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XsDuration {
    /// A leading minus sign.
    pub negative: bool,
    /// Years.
    pub years: u64,
    /// Months.
    pub months: u64,
    /// Days.
    pub days: u64,
    /// Hours.
    pub hours: u64,
    /// Minutes.
    pub minutes: u64,
    /// Whole seconds.
    pub seconds: u64,
    /// Fraction of a second, in nanoseconds.
    pub nanos: u32,
}

fn invalid(s: &str) -> ProtocolError {
    ProtocolError::InvalidValue {
        what: "xs:duration".into(),
        value: s.chars().take(64).collect(),
    }
}

impl XsDuration {
    /// Parses the lexical form `-?P(nY)?(nM)?(nD)?(T(nH)?(nM)?(n(.n)?S)?)?`.
    /// At least one part is required, and `T` needs a time part after it.
    pub fn parse(s: &str) -> Result<XsDuration, ProtocolError> {
        let text = s.trim();
        if text.len() > 64 {
            return Err(invalid(s));
        }
        let (negative, rest) = match text.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, text),
        };
        let rest = rest.strip_prefix('P').ok_or_else(|| invalid(s))?;
        let mut d = XsDuration {
            negative,
            ..Default::default()
        };
        let (date, time) = match rest.split_once('T') {
            Some((a, b)) => {
                if b.is_empty() {
                    return Err(invalid(s));
                }
                (a, Some(b))
            }
            None => (rest, None),
        };
        let mut any = false;
        // date part: Y, M, D in order
        let mut order = 0;
        for (num, unit) in parts(date).map_err(|()| invalid(s))? {
            if num.contains('.') {
                return Err(invalid(s));
            }
            let v: u64 = num.parse().map_err(|_| invalid(s))?;
            let pos = match unit {
                'Y' => 1,
                'M' => 2,
                'D' => 3,
                _ => return Err(invalid(s)),
            };
            if pos <= order {
                return Err(invalid(s));
            }
            order = pos;
            match unit {
                'Y' => d.years = v,
                'M' => d.months = v,
                _ => d.days = v,
            }
            any = true;
        }
        if let Some(time) = time {
            let mut order = 0;
            for (num, unit) in parts(time).map_err(|()| invalid(s))? {
                let pos = match unit {
                    'H' => 1,
                    'M' => 2,
                    'S' => 3,
                    _ => return Err(invalid(s)),
                };
                if pos <= order {
                    return Err(invalid(s));
                }
                order = pos;
                if unit == 'S' {
                    let (int, frac) = match num.split_once('.') {
                        Some((i, f)) => (i, Some(f)),
                        None => (num, None),
                    };
                    if int.is_empty() {
                        return Err(invalid(s));
                    }
                    d.seconds = int.parse().map_err(|_| invalid(s))?;
                    if let Some(f) = frac {
                        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                            return Err(invalid(s));
                        }
                        let mut nanos: u32 = 0;
                        for (i, b) in f.bytes().enumerate().take(9) {
                            nanos += u32::from(b - b'0') * 10u32.pow(8 - i as u32);
                        }
                        d.nanos = nanos;
                    }
                } else {
                    if num.contains('.') {
                        return Err(invalid(s));
                    }
                    let v: u64 = num.parse().map_err(|_| invalid(s))?;
                    if unit == 'H' {
                        d.hours = v;
                    } else {
                        d.minutes = v;
                    }
                }
                any = true;
            }
        }
        if !any {
            return Err(invalid(s));
        }
        Ok(d)
    }

    /// The signed length in milliseconds (fractions below a millisecond are
    /// truncated). Errors when years or months are set or on overflow.
    pub fn to_millis(self) -> Result<i64, ProtocolError> {
        if self.years != 0 || self.months != 0 {
            return Err(ProtocolError::InvalidValue {
                what: "duration in milliseconds (years and months have no fixed length)".into(),
                value: self.to_string(),
            });
        }
        let overflow = || ProtocolError::InvalidValue {
            what: "duration in milliseconds (too large)".into(),
            value: self.to_string(),
        };
        let secs = self
            .days
            .checked_mul(86_400)
            .and_then(|v| v.checked_add(self.hours.checked_mul(3_600)?))
            .and_then(|v| v.checked_add(self.minutes.checked_mul(60)?))
            .and_then(|v| v.checked_add(self.seconds))
            .ok_or_else(overflow)?;
        let ms = secs
            .checked_mul(1000)
            .and_then(|v| v.checked_add(u64::from(self.nanos / 1_000_000)))
            .ok_or_else(overflow)?;
        let ms = i64::try_from(ms).map_err(|_| overflow())?;
        Ok(if self.negative { -ms } else { ms })
    }

    /// The length in milliseconds; errors when negative.
    pub fn to_unsigned_millis(self) -> Result<u64, ProtocolError> {
        let ms = self.to_millis()?;
        u64::try_from(ms).map_err(|_| ProtocolError::InvalidValue {
            what: "duration (negative)".into(),
            value: self.to_string(),
        })
    }
}

/// Splits `12H3M4.5S` into `[("12",'H'),("3",'M'),("4.5",'S')]`.
fn parts(s: &str) -> Result<Vec<(&str, char)>, ()> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c.is_ascii_digit() || c == '.' {
            continue;
        }
        if i == start {
            return Err(());
        }
        out.push((&s[start..i], c));
        start = i + c.len_utf8();
    }
    if start != s.len() {
        return Err(());
    }
    Ok(out)
}

impl std::fmt::Display for XsDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str("P")?;
        if self.years != 0 {
            write!(f, "{}Y", self.years)?;
        }
        if self.months != 0 {
            write!(f, "{}M", self.months)?;
        }
        write!(
            f,
            "{}DT{}H{}M{}",
            self.days, self.hours, self.minutes, self.seconds
        )?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str("S")
    }
}

/// Parses an xs:duration into non-negative milliseconds.
pub fn parse_millis(s: &str) -> Result<u64, ProtocolError> {
    XsDuration::parse(s)?.to_unsigned_millis()
}

/// `PT{seconds}.{millis}S`, the IdleTimeOut form Windows writes
/// (7 200 000 ms ⇒ `PT7200.000S`).
pub fn format_seconds_millis(ms: u64) -> String {
    format!("PT{}.{:03}S", ms / 1000, ms % 1000)
}

/// `PT{seconds}S` when whole seconds (pypsrp's OperationTimeout `PT20S`),
/// otherwise `PT{s}.{ms}S`.
pub fn format_seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("PT{}S", ms / 1000)
    } else {
        format_seconds_millis(ms)
    }
}

/// `P{d}DT{h}H{m}M{s}S`, the ShellRunTime/ShellInactivity form
/// (62 000 ms ⇒ `P0DT0H1M2S`); milliseconds are dropped.
pub fn format_dhms(ms: u64) -> String {
    let s = ms / 1000;
    format!(
        "P{}DT{}H{}M{}S",
        s / 86_400,
        (s % 86_400) / 3_600,
        (s % 3_600) / 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn windows_forms() {
        assert_eq!(parse_millis("PT7200.000S").unwrap(), 7_200_000);
        assert_eq!(parse_millis("PT2147483.647S").unwrap(), 2_147_483_647);
        assert_eq!(parse_millis("P0DT0H1M2S").unwrap(), 62_000);
        assert_eq!(parse_millis("PT20S").unwrap(), 20_000);
        assert_eq!(parse_millis("PT60.5S").unwrap(), 60_500);
        assert_eq!(parse_millis("P1D").unwrap(), 86_400_000);
        assert_eq!(
            XsDuration::parse("-PT1S").unwrap().to_millis().unwrap(),
            -1000
        );
        assert!(parse_millis("-PT1S").is_err());
        assert!(XsDuration::parse("P1Y").unwrap().to_millis().is_err());
        assert_eq!(format_seconds_millis(7_200_000), "PT7200.000S");
        assert_eq!(format_seconds_millis(60_000), "PT60.000S");
        assert_eq!(format_seconds(20_000), "PT20S");
        assert_eq!(format_dhms(62_000), "P0DT0H1M2S");
        assert_eq!(format_dhms(90_061_000), "P1DT1H1M1S");
    }

    #[test]
    fn invalid_forms() {
        for bad in [
            "",
            "P",
            "PT",
            "60",
            "3600000",
            "PT-1S",
            "P1H",
            "PT1D",
            "PT1.S",
            "PT.5S",
            "PT1M1H",
            "P1D1Y",
            "PT1.5M",
            "PTS",
            "P1DT",
            "p1d",
            "PT1S ",
            "P1DX",
            "P99999999999999999999D",
        ] {
            let r = XsDuration::parse(bad).and_then(XsDuration::to_millis);
            // "PT1S " is trimmed and valid; everything else must fail
            if bad == "PT1S " {
                assert_eq!(r.unwrap(), 1000);
            } else {
                assert!(r.is_err(), "{bad:?} accepted");
            }
        }
        assert!(
            XsDuration::parse("P999999999999D")
                .unwrap()
                .to_millis()
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn formats_round_trip(ms in 0u64..10_000_000_000_000) {
            prop_assert_eq!(parse_millis(&format_seconds_millis(ms)).unwrap(), ms);
            prop_assert_eq!(parse_millis(&format_seconds(ms)).unwrap(), ms);
            prop_assert_eq!(parse_millis(&format_dhms(ms)).unwrap(), ms / 1000 * 1000);
            let d = XsDuration::parse(&format_dhms(ms)).unwrap();
            prop_assert_eq!(XsDuration::parse(&d.to_string()).unwrap(), d);
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = XsDuration::parse(&s).and_then(XsDuration::to_millis);
        }
    }
}
