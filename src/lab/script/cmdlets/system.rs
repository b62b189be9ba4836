//! The computer's own cmdlets: Start-Sleep, Get-Date, Get-PSSessionConfiguration, Read-Host, the SecureString conversions, variables, Get-Process and Get-Service.

use super::*;

pub(super) fn variable_object(name: &str, v: Value) -> Value {
    Value::Object {
        type_names: vec![
            "System.Management.Automation.PSVariable".into(),
            "System.Object".into(),
        ],
        props: vec![
            ("Name".into(), Value::str(name)),
            ("Value".into(), v),
            ("Description".into(), Value::str("")),
            (
                "Options".into(),
                Value::enumeration("System.Management.Automation.ScopedItemOptions", "None", 0),
            ),
            (
                "Visibility".into(),
                Value::enumeration(
                    "System.Management.Automation.SessionStateEntryVisibility",
                    "Public",
                    0,
                ),
            ),
        ],
        to_string: Some(name.to_string()),
    }
}

impl Cmdlet {
    /// `ConvertTo-SecureString -AsPlainText` and `ConvertFrom-SecureString
    /// -AsPlainText` (PowerShell 7). The DPAPI forms, which need the
    /// computer's user keys, are refused with the error Windows gives when
    /// the text is not such a string.
    pub(super) async fn secure_string(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let to = self.kind == Kind::ConvertToSecureString;
        let name = if to { "String" } else { "SecureString" };
        let Some(v) = self.b.get(name).cloned().or(input) else {
            return Ok(());
        };
        if !self.b.flag("AsPlainText") {
            return Err(Flow::error(self.info.error(
                "The lab keeps no DPAPI keys: use -AsPlainText.",
                "ImportSecureString",
                ErrorCategory::InvalidArgument,
                "System.Security.Cryptography.CryptographicException",
                Value::Null,
            )));
        }
        let result = match (to, v) {
            (true, v) => Value::SecureString(SecureText::new(v.to_ps_string())),
            (false, Value::SecureString(t)) => Value::String(t.reveal().to_owned()),
            (false, other) => {
                return Err(Flow::error(self.info.error(
                    format!(
                        "Cannot bind parameter 'SecureString'. Cannot convert the \"{}\" value of type \"{}\" to type \"System.Security.SecureString\".",
                        other.to_ps_string(),
                        other.type_name()
                    ),
                    "CannotConvertArgumentNoMessage",
                    ErrorCategory::InvalidArgument,
                    "System.Management.Automation.ParameterBindingException",
                    other,
                )));
            }
        };
        out.write(rt, result).await
    }

    /// What StartSleep does with each input object.
    pub(super) async fn process_start_sleep(&mut self, rt: &Rt, input: Option<Value>) -> R<()> {
        let ms: f64 = if let Some(v) = self.b.get("Milliseconds") {
            v.to_f64()
                .ok_or_else(|| Flow::error(super::super::interp::invalid_cast(v, "System.Int32")))?
        } else if let Some(v) = self.b.get("Seconds").cloned().or(input) {
            v.to_f64().ok_or_else(|| {
                Flow::error(super::super::interp::invalid_cast(&v, "System.Double"))
            })? * 1000.0
        } else {
            return Err(Flow::error(self.info.error(
                "Cannot process command because of one or more missing mandatory parameters: Seconds.",
                "MissingMandatoryParameter",
                ErrorCategory::InvalidArgument,
                "System.Management.Automation.ParameterBindingException",
                Value::Null,
            )));
        };
        if ms < 0.0 || !ms.is_finite() {
            return Err(Flow::error(self.info.error(
                format!("Cannot validate argument on parameter 'Seconds'. The {} argument is less than the minimum allowed range of 0. Supply an argument that is greater than or equal to 0 and then try the command again.", value::format_double(ms / 1000.0)),
                "ParameterArgumentValidationError",
                ErrorCategory::InvalidData,
                "System.Management.Automation.ParameterBindingValidationException",
                Value::Null,
            )));
        }
        let ms = ms.min(1e12);
        rt.sleep(Duration::from_micros((ms * 1000.0) as u64)).await;
        Ok(())
    }

    /// What GetDate does with each input object.
    pub(super) async fn process_get_date(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let date = match self.b.get("Date").cloned().or(input) {
            Some(Value::DateTime(d)) => d,
            Some(other) => match value::parse_date(&other.to_ps_string(), rt.ctx.clock.offset()) {
                Some(d) => d,
                None => {
                    return Err(Flow::error(self.info.error(
                        format!("Cannot bind parameter 'Date'. Cannot convert value \"{}\" to type \"System.DateTime\". Error: \"String was not recognized as a valid DateTime.\"", other.to_ps_string()),
                        "CannotConvertArgumentNoMessage",
                        ErrorCategory::InvalidArgument,
                        "System.Management.Automation.ParameterBindingException",
                        Value::Null,
                    )))
                }
            },
            None => rt.wall_clock(),
        };
        match self.b.string("Format") {
            Some(f) => {
                out.write(rt, Value::String(value::format_datetime(&date, &f)))
                    .await
            }
            None => out.write(rt, Value::DateTime(date)).await,
        }
    }

    /// What GetPSSessionConfiguration does with each input object.
    pub(super) async fn process_get_p_s_session_configuration(
        &mut self,
        rt: &Rt,
        out: &mut dyn Sink,
    ) -> R<()> {
        let names = self.b.strings("Name");
        let configs = rt.ctx.session_configurations.clone();
        match names {
            None => {
                for c in configs {
                    out.write(rt, c.to_value()).await?;
                }
            }
            Some(names) => {
                for n in names {
                    let found: Vec<_> = configs
                        .iter()
                        .filter(|c| value::wildcard_match(&n, &c.name, false))
                        .collect();
                    if found.is_empty() && !crate::pslang::has_wildcard(&n) {
                        self.error(
                            rt,
                            self.info.error(
                                format!("No session configuration matches criteria \"{n}\"."),
                                "Microsoft.PowerShell.Commands.GetPSSessionConfigurationCommand",
                                ErrorCategory::ObjectNotFound,
                                "System.Management.Automation.RuntimeException",
                                Value::str(n.clone()),
                            ),
                        )
                        .await?;
                    }
                    for c in found {
                        out.write(rt, c.to_value()).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// What ReadHost does with each input object.
    pub(super) async fn process_read_host(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let prompt = self.b.string("Prompt");
        let secure = self.b.flag("AsSecureString");
        let answer = rt
            .host_call(HostCall::ReadHost {
                prompt,
                as_secure: secure,
            })
            .await;
        let v = match answer {
            Value::SecureString(t) => Value::SecureString(t),
            other if secure => {
                // PowerShell's host answers with a SecureString under
                // the session key; text in its place is refused.
                return Err(Flow::error(self.info.error(
                    format!(
                        "Read-Host -AsSecureString was answered with a {} instead of a SecureString encrypted with the session key.",
                        other.type_name()
                    ),
                    "SecureStringExpected",
                    ErrorCategory::InvalidResult,
                    "System.Management.Automation.PSInvalidCastException",
                    Value::Null,
                )));
            }
            other => Value::String(other.to_ps_string()),
        };
        out.write(rt, v).await
    }

    /// What GetVariable does with each input object.
    pub(super) async fn process_get_variable(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let names = self.b.strings("Name").unwrap_or_else(|| vec!["*".into()]);
        for n in names {
            let found: Vec<(String, Value)> = {
                let s = rt.session();
                s.vars
                    .iter()
                    .filter(|(k, _)| value::wildcard_match(&n, k, false) && k != "_")
                    .cloned()
                    .collect()
            };
            if found.is_empty() && !crate::pslang::has_wildcard(&n) {
                self.error(
                    rt,
                    self.info.error(
                        format!("Cannot find a variable with the name '{n}'."),
                        "VariableNotFound",
                        ErrorCategory::ObjectNotFound,
                        "System.Management.Automation.ItemNotFoundException",
                        Value::str(n.clone()),
                    ),
                )
                .await?;
                continue;
            }
            let mut found = found;
            found.sort_by_key(|a| a.0.to_lowercase());
            for (k, v) in found {
                if self.b.flag("ValueOnly") {
                    out.write(rt, v).await?;
                } else {
                    out.write(rt, variable_object(&k, v)).await?;
                }
            }
        }
        Ok(())
    }

    /// What SetVariable does with each input object.
    pub(super) async fn process_set_variable(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let Some(names) = self.b.strings("Name") else {
            return Err(Flow::error(self.info.error(
                "Cannot process command because of one or more missing mandatory parameters: Name.",
                "MissingMandatoryParameter",
                ErrorCategory::InvalidArgument,
                "System.Management.Automation.ParameterBindingException",
                Value::Null,
            )));
        };
        let v = self
            .b
            .get("Value")
            .cloned()
            .or(input)
            .unwrap_or(Value::Null);
        for n in names {
            rt.set_var(&n, v.clone())?;
            if self.b.flag("PassThru") {
                out.write(rt, variable_object(&n, v.clone())).await?;
            }
        }
        Ok(())
    }

    pub(super) async fn get_process(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let all = data::processes(&rt.ctx.computer_name, rt.ctx.process_id);
        if let Some(ids) = self.b.get("Id").cloned() {
            for id in ids.into_items() {
                let n = id.to_int().unwrap_or(-1);
                match all
                    .iter()
                    .find(|p| p.property("Id").and_then(|i| i.to_int()) == Some(n))
                {
                    Some(p) => out.write(rt, p.clone()).await?,
                    None => {
                        self.error(
                            rt,
                            self.info.error(
                                format!("Cannot find a process with the process identifier {n}."),
                                "NoProcessFoundForGivenId",
                                ErrorCategory::ObjectNotFound,
                                "Microsoft.PowerShell.Commands.ProcessCommandException",
                                Value::Int(n),
                            ),
                        )
                        .await?;
                    }
                }
            }
            return Ok(());
        }
        match self.b.strings("Name") {
            None => {
                for p in all {
                    out.write(rt, p).await?;
                }
            }
            Some(names) => {
                for n in names {
                    let found: Vec<&Value> = all
                        .iter()
                        .filter(|p| {
                            value::wildcard_match(
                                &n,
                                &prop_of(p, "ProcessName").to_ps_string(),
                                false,
                            )
                        })
                        .collect();
                    if found.is_empty() && !crate::pslang::has_wildcard(&n) {
                        self.error(rt, self.info.error(
                            format!("Cannot find a process with the name \"{n}\". Verify the process name and call the cmdlet again."),
                            "NoProcessFoundForGivenName",
                            ErrorCategory::ObjectNotFound,
                            "Microsoft.PowerShell.Commands.ProcessCommandException",
                            Value::str(n.clone()),
                        )).await?;
                    }
                    for p in found {
                        out.write(rt, p.clone()).await?;
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) async fn get_service(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let all = data::services(&rt.ctx.computer_name);
        let (key, names) = match (self.b.strings("Name"), self.b.strings("DisplayName")) {
            (Some(n), _) => ("Name", n),
            (None, Some(d)) => ("DisplayName", d),
            (None, None) => ("Name", vec!["*".to_string()]),
        };
        for n in names {
            let found: Vec<&Value> = all
                .iter()
                .filter(|s| {
                    value::wildcard_match(&n, &prop_of(s, key).to_ps_string(), false)
                        || (key == "Name"
                            && value::wildcard_match(
                                &n,
                                &prop_of(s, "DisplayName").to_ps_string(),
                                false,
                            )
                            && !crate::pslang::has_wildcard(&n))
                })
                .collect();
            if found.is_empty() && !crate::pslang::has_wildcard(&n) {
                let msg = if key == "Name" {
                    format!("Cannot find any service with service name '{n}'.")
                } else {
                    format!("Cannot find any service with display name '{n}'.")
                };
                let id = if key == "Name" {
                    "NoServiceFoundForGivenName"
                } else {
                    "NoServiceFoundForGivenDisplayName"
                };
                self.error(
                    rt,
                    self.info.error(
                        msg,
                        id,
                        ErrorCategory::ObjectNotFound,
                        "Microsoft.PowerShell.Commands.ServiceCommandException",
                        Value::str(n.clone()),
                    ),
                )
                .await?;
            }
            for s in found {
                out.write(rt, s.clone()).await?;
            }
        }
        Ok(())
    }

    // The error is consumed at once by the caller; boxing it buys nothing.
}
