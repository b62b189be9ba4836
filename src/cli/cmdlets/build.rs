//! Building typed invocations from bound parameters.

use super::*;

// ---------------------------------------------------------------------------
// Building typed invocations.

impl Bound {
    pub(super) fn get(&self, name: &str) -> Option<&BoundParam> {
        self.params.iter().find(|b| b.def.name == name)
    }

    pub(super) fn fail(&self, b: &BoundParam, message: String) -> Box<BindError> {
        let id = if message.starts_with("Cannot process argument transformation") {
            "ParameterArgumentTransformationError"
        } else if message.contains("because it is null") {
            "ParameterArgumentValidationErrorNullNotAllowed"
        } else if message.contains("Error: \"") {
            "CannotConvertArgumentNoMessage"
        } else {
            "CannotConvertArgument"
        };
        binding_err(self.cmd, id, message, b.offset)
    }

    pub(super) fn arg<T>(
        &self,
        name: &str,
        f: impl Fn(&str, &Value) -> Result<T, String>,
    ) -> Result<Option<Arg<T>>, Box<BindError>> {
        let Some(b) = self.get(name) else {
            return Ok(None);
        };
        if b.value.is_dynamic() {
            return Ok(Some(Arg::Deferred(b.value.clone())));
        }
        f(b.def.name, &b.value)
            .map(|v| Some(Arg::Value(v)))
            .map_err(|m| self.fail(b, m))
    }

    pub(super) fn lit<T>(
        &self,
        name: &str,
        f: impl Fn(&str, &Value) -> Result<T, String>,
    ) -> Result<Option<T>, Box<BindError>> {
        let Some(b) = self.get(name) else {
            return Ok(None);
        };
        f(b.def.name, &b.value)
            .map(Some)
            .map_err(|m| self.fail(b, m))
    }

    pub(super) fn strings(&self, name: &str) -> Result<Option<Arg<Vec<String>>>, Box<BindError>> {
        self.arg(name, coerce_string_array)
    }
    pub(super) fn string(&self, name: &str) -> Result<Option<Arg<String>>, Box<BindError>> {
        self.arg(name, coerce_string)
    }
    pub(super) fn int(&self, name: &str) -> Result<Option<Arg<i32>>, Box<BindError>> {
        self.arg(name, coerce_int)
    }
    pub(super) fn switch(&self, name: &str) -> Result<bool, Box<BindError>> {
        match self.get(name) {
            None => Ok(false),
            Some(b) if b.value.is_dynamic() => Ok(true),
            Some(b) => coerce_switch(b.def.name, &b.value).map_err(|m| self.fail(b, m)),
        }
    }
    pub(super) fn confirm(&self) -> Result<Option<bool>, Box<BindError>> {
        match self.get("Confirm") {
            None => Ok(None),
            Some(_) => self.switch("Confirm").map(Some),
        }
    }
    pub(super) fn throttle(&self) -> Result<u32, Box<BindError>> {
        match self.int("ThrottleLimit")? {
            Some(Arg::Value(n)) if n > 0 => Ok(u32::try_from(n).unwrap_or(32)),
            _ => Ok(32),
        }
    }
    pub(super) fn credential(&self, name: &str) -> Result<Option<CredentialArg>, Box<BindError>> {
        self.lit(name, coerce_credential)
    }
    pub(super) fn sessions_value(&self) -> Result<Option<Value>, Box<BindError>> {
        let Some(b) = self.get("Session") else {
            return Ok(None);
        };
        if affinity(Ty::Sessions, &b.value) == 0 {
            return Err(self.fail(
                b,
                cannot_convert_type(b.def.name, &b.value, Ty::Sessions.type_name()),
            ));
        }
        Ok(Some(b.value.clone()))
    }
    pub(super) fn session_option(
        &self,
        name: &str,
    ) -> Result<Option<SessionOptionArg>, Box<BindError>> {
        let Some(b) = self.get(name) else {
            return Ok(None);
        };
        match &b.value {
            Value::Hashtable(entries) => {
                let opts = options_from_hashtable(self.cmd, b, entries)?;
                Ok(Some(SessionOptionArg::Options(Box::new(opts))))
            }
            Value::SubPipeline(p) => {
                if let [PipelineElement::Command(c)] = p.elements.as_slice()
                    && resolve_command_name(&c.name) == Some("New-PSSessionOption")
                {
                    let inner = bind(c, false)?;
                    if let Invocation::NewPSSessionOption(o) = inner.invocation {
                        return Ok(Some(SessionOptionArg::Options(Box::new(o))));
                    }
                }
                Ok(Some(SessionOptionArg::Deferred(b.value.clone())))
            }
            Value::Variable(_) | Value::SubExpression(_) => {
                Ok(Some(SessionOptionArg::Deferred(b.value.clone())))
            }
            other => Err(self.fail(
                b,
                cannot_convert_type(b.def.name, other, Ty::SessionOption.type_name()),
            )),
        }
    }

    pub(super) fn remote(&self) -> Result<RemoteConnection, Box<BindError>> {
        let target = if self.get("ConnectionUri").is_some() {
            let uris = match self.get("ConnectionUri") {
                Some(b) if b.def.ty == Ty::Uri => {
                    self.arg("ConnectionUri", |p, v| coerce_uri(p, v).map(|u| vec![u]))?
                }
                _ => self.arg("ConnectionUri", coerce_uri_array)?,
            };
            RemoteTarget::ConnectionUri {
                uris: uris.unwrap_or(Arg::Value(Vec::new())),
                allow_redirection: self.switch("AllowRedirection")?,
            }
        } else {
            RemoteTarget::ComputerName {
                names: self
                    .strings("ComputerName")?
                    .unwrap_or_else(|| Arg::Value(vec!["localhost".into()])),
                port: self.int("Port")?,
                use_ssl: self.switch("UseSSL")?,
                application_name: self.string("ApplicationName")?,
            }
        };
        Ok(RemoteConnection {
            target,
            configuration_name: self.string("ConfigurationName")?,
            credential: self.credential("Credential")?,
            authentication: self.arg("Authentication", coerce_enum::<AuthenticationMechanism>)?,
            certificate_thumbprint: self.string("CertificateThumbprint")?,
            session_option: self.session_option("SessionOption")?,
        })
    }

    pub(super) fn local_target(&self) -> Result<SessionTarget, Box<BindError>> {
        if let Some(v) = self.sessions_value()? {
            return Ok(SessionTarget::Sessions(v));
        }
        if self.pipeline_param == Some("Session") {
            return Ok(SessionTarget::Pipeline);
        }
        if let Some(n) = self.strings("Name")? {
            return Ok(SessionTarget::Name(n));
        }
        if let Some(i) = self.arg("InstanceId", coerce_guid_array)? {
            return Ok(SessionTarget::InstanceId(i));
        }
        if let Some(i) = self.arg("Id", coerce_int_array)? {
            return Ok(SessionTarget::Id(i));
        }
        if let Some(c) = self.strings("ComputerName")? {
            return Ok(SessionTarget::ComputerName(c));
        }
        Ok(SessionTarget::Pipeline)
    }

    pub(super) fn is_remote_set(&self) -> bool {
        self.set.starts_with("Computer") || self.set.starts_with("ConnectionUri")
    }
}

pub(super) fn options_from_hashtable(
    cmd: &'static CmdletDef,
    b: &BoundParam,
    entries: &[(String, Value)],
) -> Result<SessionOptions, Box<BindError>> {
    let mut args = Vec::new();
    for (k, v) in entries {
        args.push(Argument::Parameter {
            name: k.clone(),
            value: Some(v.clone()),
            offset: b.offset,
        });
    }
    let call = CommandCall {
        name: "New-PSSessionOption".into(),
        args,
        offset: b.offset,
    };
    match bind(&call, false) {
        Ok(BoundCommand {
            invocation: Invocation::NewPSSessionOption(o),
            ..
        }) => Ok(o),
        Ok(_) => Err(ambiguous_set(cmd, b.offset)),
        Err(e) => Err(binding_err(
            cmd,
            "CannotConvertArgumentNoMessage",
            format!(
                "Cannot bind parameter '{}'. Cannot convert the \"System.Collections.Hashtable\" value of type \"System.Collections.Hashtable\" to type \"{}\". {}",
                b.def.name,
                Ty::SessionOption.type_name(),
                e.message
            ),
            b.offset,
        )),
    }
}

pub(super) fn session_options(b: &Bound) -> Result<SessionOptions, Box<BindError>> {
    let lit_int = |name: &str| -> Result<Option<i32>, Box<BindError>> { b.lit(name, coerce_int) };
    Ok(SessionOptions {
        maximum_redirection: lit_int("MaximumRedirection")?,
        no_compression: b.switch("NoCompression")?,
        no_machine_profile: b.switch("NoMachineProfile")?,
        culture: b.lit("Culture", coerce_string)?,
        ui_culture: b.lit("UICulture", coerce_string)?,
        maximum_received_data_size_per_command: lit_int("MaximumReceivedDataSizePerCommand")?,
        maximum_received_object_size: lit_int("MaximumReceivedObjectSize")?,
        output_buffering_mode: b.lit("OutputBufferingMode", coerce_enum::<OutputBufferingMode>)?,
        application_arguments: match b.get("ApplicationArguments") {
            None => None,
            Some(p) => match &p.value {
                Value::Hashtable(e) => Some(e.clone()),
                other => {
                    return Err(b.fail(
                        p,
                        cannot_convert_type(p.def.name, other, Ty::Hashtable.type_name()),
                    ));
                }
            },
        },
        open_timeout_ms: lit_int("OpenTimeout")?,
        cancel_timeout_ms: lit_int("CancelTimeout")?,
        idle_timeout_ms: lit_int("IdleTimeout")?,
        proxy_access_type: b.lit("ProxyAccessType", coerce_enum::<ProxyAccessType>)?,
        proxy_authentication: b.lit(
            "ProxyAuthentication",
            coerce_enum::<AuthenticationMechanism>,
        )?,
        proxy_credential: b.credential("ProxyCredential")?,
        skip_ca_check: b.switch("SkipCACheck")?,
        skip_cn_check: b.switch("SkipCNCheck")?,
        skip_revocation_check: b.switch("SkipRevocationCheck")?,
        operation_timeout_ms: lit_int("OperationTimeout")?,
        no_encryption: b.switch("NoEncryption")?,
        use_utf16: b.switch("UseUTF16")?,
        include_port_in_spn: b.switch("IncludePortInSPN")?,
    })
}

pub(super) fn wsman_connection(b: &Bound) -> Result<WsmanConnection, Box<BindError>> {
    Ok(WsmanConnection {
        computer_name: b.string("ComputerName")?,
        connection_uri: b.arg("ConnectionURI", coerce_uri)?,
        port: b.int("Port")?,
        use_ssl: b.switch("UseSSL")?,
        application_name: b.string("ApplicationName")?,
        authentication: b.arg("Authentication", coerce_enum::<WsmanAuthentication>)?,
        credential: b.credential("Credential")?,
        certificate_thumbprint: b.string("CertificateThumbprint")?,
        session_option: b.session_option("SessionOption")?,
    })
}

pub(super) fn property_list(b: &Bound) -> Result<Option<Vec<String>>, Box<BindError>> {
    b.lit("Property", coerce_string_array)
}

pub(super) fn build(b: &Bound) -> Result<Invocation, Box<BindError>> {
    Ok(match b.cmd.name {
        "New-PSSession" => Invocation::NewPSSession(NewPSSession {
            connection: if b.set == NS_SES {
                None
            } else {
                Some(b.remote()?)
            },
            sessions: if b.set == NS_SES {
                Some(b.local_target()?)
            } else {
                None
            },
            name: b.strings("Name")?,
            throttle_limit: b.throttle()?,
            enable_network_access: b.switch("EnableNetworkAccess")?,
        }),
        "Get-PSSession" => Invocation::GetPSSession(GetPSSession {
            remote: if b.is_remote_set() {
                Some(b.remote()?)
            } else {
                None
            },
            name: b.strings("Name")?,
            instance_id: b.arg("InstanceId", coerce_guid_array)?,
            id: b.arg("Id", coerce_int_array)?,
            state: b
                .lit("State", coerce_enum::<SessionFilterState>)?
                .unwrap_or(SessionFilterState::All),
            throttle_limit: b.throttle()?,
        }),
        "Disconnect-PSSession" => Invocation::DisconnectPSSession(DisconnectPSSession {
            target: b.local_target()?,
            idle_timeout_sec: b.int("IdleTimeoutSec")?,
            output_buffering_mode: b
                .arg("OutputBufferingMode", coerce_enum::<OutputBufferingMode>)?,
            throttle_limit: b.throttle()?,
            what_if: b.switch("WhatIf")?,
            confirm: b.confirm()?,
        }),
        "Connect-PSSession" => Invocation::ConnectPSSession(ConnectPSSession {
            selection: selection(b)?,
            throttle_limit: b.throttle()?,
            what_if: b.switch("WhatIf")?,
            confirm: b.confirm()?,
        }),
        "Receive-PSSession" => Invocation::ReceivePSSession(ReceivePSSession {
            selection: selection(b)?,
            out_target: b.lit("OutTarget", coerce_enum::<OutTarget>)?,
            job_name: b.string("JobName")?,
            what_if: b.switch("WhatIf")?,
            confirm: b.confirm()?,
        }),
        "Invoke-Command" => Invocation::InvokeCommand(invoke_command(b)?),
        "Remove-PSSession" => Invocation::RemovePSSession(RemovePSSession {
            target: b.local_target()?,
            what_if: b.switch("WhatIf")?,
            confirm: b.confirm()?,
            force: b.switch("Force")?,
        }),
        "New-PSSessionOption" => Invocation::NewPSSessionOption(session_options(b)?),
        "Get-PSSessionConfiguration" => {
            Invocation::GetPSSessionConfiguration(GetPSSessionConfiguration {
                name: b.strings("Name")?,
                force: b.switch("Force")?,
            })
        }
        "Test-WSMan" => Invocation::TestWSMan(wsman_connection(b)?),
        "Connect-WSMan" => Invocation::ConnectWSMan(wsman_connection(b)?),
        "Disconnect-WSMan" => Invocation::DisconnectWSMan {
            computer_name: b.string("ComputerName")?,
        },
        "Format-List" => Invocation::FormatList {
            property: property_list(b)?,
        },
        "Format-Table" => Invocation::FormatTable {
            property: property_list(b)?,
            auto_size: b.switch("AutoSize")?,
        },
        "Get-Help" => Invocation::GetHelp {
            name: b.string("Name")?,
            view: if b.switch("Full")? || b.switch("Detailed")? {
                HelpView::Full
            } else if b.switch("Examples")? {
                HelpView::Examples
            } else if let Some(p) = b.strings("Parameter")? {
                HelpView::Parameters(p)
            } else {
                HelpView::Summary
            },
        },
        "Get-Command" => Invocation::GetCommand {
            name: b.strings("Name")?,
            verb: b.strings("Verb")?,
            noun: b.strings("Noun")?,
            syntax: b.switch("Syntax")?,
        },
        _ => return Err(ambiguous_set(b.cmd, b.offset)),
    })
}

pub(super) fn selection(b: &Bound) -> Result<Selection, Box<BindError>> {
    if b.is_remote_set() {
        let (name, instance_id) = if b.cmd.name == "Receive-PSSession" {
            (
                b.arg("Name", |p, v| coerce_string(p, v).map(|s| vec![s]))?,
                b.arg("InstanceId", |p, v| coerce_guid(p, v).map(|g| vec![g]))?,
            )
        } else {
            (b.strings("Name")?, b.arg("InstanceId", coerce_guid_array)?)
        };
        return Ok(Selection::Remote {
            connection: Box::new(b.remote()?),
            name,
            instance_id,
        });
    }
    if b.cmd.name == "Receive-PSSession" {
        if let Some(v) = b.sessions_value()? {
            return Ok(Selection::Local(SessionTarget::Sessions(v)));
        }
        if b.pipeline_param == Some("Session") {
            return Ok(Selection::Local(SessionTarget::Pipeline));
        }
        if let Some(n) = b.arg("Name", |p, v| coerce_string(p, v).map(|s| vec![s]))? {
            return Ok(Selection::Local(SessionTarget::Name(n)));
        }
        if let Some(i) = b.arg("InstanceId", |p, v| coerce_guid(p, v).map(|g| vec![g]))? {
            return Ok(Selection::Local(SessionTarget::InstanceId(i)));
        }
        if let Some(i) = b.arg("Id", |p, v| coerce_int(p, v).map(|n| vec![n]))? {
            return Ok(Selection::Local(SessionTarget::Id(i)));
        }
    }
    Ok(Selection::Local(b.local_target()?))
}

pub(super) fn invoke_command(b: &Bound) -> Result<InvokeCommand, Box<BindError>> {
    let target = match b.set {
        IC_SES | IC_FSES => match b.sessions_value()? {
            Some(v) => InvokeTarget::Sessions(v),
            None => InvokeTarget::Local,
        },
        IC_CN | IC_URI | IC_FCN | IC_FURI => {
            if b.get("ComputerName").is_none() && b.get("ConnectionUri").is_none() {
                InvokeTarget::Local
            } else {
                InvokeTarget::Remote(Box::new(b.remote()?))
            }
        }
        _ => InvokeTarget::Local,
    };
    let script = if let Some(p) = b.get("ScriptBlock") {
        match &p.value {
            Value::ScriptBlock(text) => ScriptSource::Block(text.clone()),
            v if v.is_dynamic() => ScriptSource::Deferred(v.clone()),
            other => {
                return Err(b.fail(
                    p,
                    cannot_convert_type(p.def.name, other, Ty::ScriptBlock.type_name()),
                ));
            }
        }
    } else {
        match b.string("FilePath")? {
            Some(f) => ScriptSource::FilePath(f),
            None => return Err(ambiguous_set(b.cmd, b.offset)),
        }
    };
    Ok(InvokeCommand {
        target,
        script,
        argument_list: b.get("ArgumentList").map(|p| p.value.clone()),
        in_disconnected_session: b.switch("InDisconnectedSession")?,
        session_name: b.strings("SessionName")?,
        hide_computer_name: b.switch("HideComputerName")?,
        as_job: b.switch("AsJob")?,
        job_name: b.string("JobName")?,
        throttle_limit: b.throttle()?,
        enable_network_access: b.switch("EnableNetworkAccess")?,
        input_from_pipeline: b.pipeline_param == Some("InputObject"),
        input_object: b.get("InputObject").map(|p| p.value.clone()),
    })
}
