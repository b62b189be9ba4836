//! Write-Host, Write-Error, Write-Warning/Verbose/Debug, Write-Information and Write-Progress.

use super::*;

pub(super) fn info_record(
    rt: &Rt,
    message_data: Value,
    tags: Vec<String>,
    source: &str,
) -> InformationRecord {
    InformationRecord {
        message_data,
        tags,
        source: source.to_string(),
        time_generated: rt.wall_clock(),
        user: format!("{}\\{}", rt.ctx.user_domain, rt.ctx.user_name),
        computer: rt.ctx.computer_name.clone(),
        process_id: rt.ctx.process_id,
    }
}

pub(super) fn console_color(name: &str) -> i64 {
    const COLORS: [&str; 16] = [
        "Black",
        "DarkBlue",
        "DarkGreen",
        "DarkCyan",
        "DarkRed",
        "DarkMagenta",
        "DarkYellow",
        "Gray",
        "DarkGray",
        "Blue",
        "Green",
        "Cyan",
        "Red",
        "Magenta",
        "Yellow",
        "White",
    ];
    COLORS
        .iter()
        .position(|c| c.eq_ignore_ascii_case(name))
        .map_or(-1, |i| i as i64)
}

impl Cmdlet {
    /// What WriteHost does with each input object.
    pub(super) async fn process_write_host(&mut self, rt: &Rt, input: Option<Value>) -> R<()> {
        let obj = self
            .b
            .get("Object")
            .cloned()
            .or(input)
            .unwrap_or(Value::Null);
        let sep = self.b.string("Separator").unwrap_or_else(|| " ".into());
        let message = match &obj {
            Value::Array(items) => items
                .iter()
                .map(Value::to_ps_string)
                .collect::<Vec<_>>()
                .join(&sep),
            other => other.to_ps_string(),
        };
        if self
            .information_action
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("Ignore"))
        {
            return Ok(());
        }
        let color = |name: &str| -> Value {
            match self.b.string(name) {
                Some(c) => Value::enumeration("System.ConsoleColor", &c, console_color(&c)),
                None => Value::Null,
            }
        };
        let data = Value::Object {
            type_names: vec![
                "System.Management.Automation.HostInformationMessage".into(),
                "System.Object".into(),
            ],
            props: vec![
                ("Message".into(), Value::str(message.clone())),
                ("ForegroundColor".into(), color("ForegroundColor")),
                ("BackgroundColor".into(), color("BackgroundColor")),
                ("NoNewLine".into(), Value::Bool(self.b.flag("NoNewline"))),
            ],
            to_string: Some(message),
        };
        let rec = info_record(rt, data, vec!["PSHOST".into()], "Write-Host");
        rt.emit(JobEvent::Information(rec)).await;
        Ok(())
    }

    /// What WriteError does with each input object.
    pub(super) async fn process_write_error(&mut self, rt: &Rt, input: Option<Value>) -> R<()> {
        let message = self
            .b
            .string("Message")
            .or_else(|| input.as_ref().map(Value::to_ps_string))
            .unwrap_or_default();
        let category = self
            .b
            .string("Category")
            .and_then(|c| ErrorCategory::from_name(&c))
            .unwrap_or(ErrorCategory::NotSpecified);
        let id = self
            .b
            .string("ErrorId")
            .unwrap_or_else(|| "Microsoft.PowerShell.Commands.WriteErrorException".into());
        let mut e = ErrorInfo::new(
            message,
            id,
            category,
            "Microsoft.PowerShell.Commands.WriteErrorException",
        );
        e.target = self.b.get("TargetObject").cloned().unwrap_or(Value::Null);
        e.activity = self
            .b
            .string("CategoryActivity")
            .unwrap_or_else(|| "Write-Error".into());
        e.command_name = Some("Write-Error".into());
        e.position = Some(self.info.pos);
        self.error(rt, e).await
    }

    /// What WriteWarning, WriteVerbose, WriteDebug do with each input object.
    pub(super) async fn process_write_warning(&mut self, rt: &Rt, input: Option<Value>) -> R<()> {
        let message = self
            .b
            .string("Message")
            .or_else(|| input.as_ref().map(Value::to_ps_string))
            .unwrap_or_default();
        match self.kind {
            Kind::WriteWarning => {
                let pref = match &self.warning_action {
                    Some(a) => a.to_ascii_lowercase(),
                    None => rt.preference("WarningPreference"),
                };
                match pref.as_str() {
                    "silentlycontinue" | "ignore" => {}
                    "stop" => {
                        let e = self.info.error(
                            format!("The running command stopped because the preference variable \"WarningPreference\" or common parameter is set to Stop: {message}"),
                            "ActionPreferenceStop",
                            ErrorCategory::OperationStopped,
                            "System.Management.Automation.ActionPreferenceStopException",
                            Value::Null,
                        );
                        rt.emit(JobEvent::Warning(message)).await;
                        return Err(Flow::Terminate(Box::new(e)));
                    }
                    _ => rt.emit(JobEvent::Warning(message)).await,
                }
            }
            Kind::WriteVerbose => {
                if self.verbose {
                    rt.emit(JobEvent::Verbose(message)).await;
                }
            }
            _ => {
                if self.debug {
                    rt.emit(JobEvent::Debug(message)).await;
                }
            }
        }
        Ok(())
    }

    /// What WriteInformation does with each input object.
    pub(super) async fn process_write_information(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
    ) -> R<()> {
        let data = self
            .b
            .get("MessageData")
            .cloned()
            .or(input)
            .unwrap_or(Value::Null);
        if self
            .information_action
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("Ignore"))
        {
            return Ok(());
        }
        let tags = self.b.strings("Tags").unwrap_or_default();
        let rec = info_record(rt, data, tags, "Write-Information");
        rt.emit(JobEvent::Information(rec)).await;
        Ok(())
    }

    /// What WriteProgress does with each input object.
    pub(super) async fn process_write_progress(&mut self, rt: &Rt) -> R<()> {
        if rt.preference("ProgressPreference") == "silentlycontinue"
            || rt.preference("ProgressPreference") == "ignore"
        {
            return Ok(());
        }
        let Some(activity) = self.b.string("Activity").or_else(|| {
            if self.b.flag("Completed") {
                Some(String::new())
            } else {
                None
            }
        }) else {
            return Err(Flow::error(self.info.error(
                "Cannot process command because of one or more missing mandatory parameters: Activity.",
                "MissingMandatoryParameter",
                ErrorCategory::InvalidArgument,
                "System.Management.Automation.ParameterBindingException",
                Value::Null,
            )));
        };
        let int = |name: &str, default: i32| -> i32 {
            self.b
                .get(name)
                .and_then(Value::to_int)
                .and_then(|i| i32::try_from(i).ok())
                .unwrap_or(default)
        };
        let percent = int("PercentComplete", -1);
        if !(-1..=100).contains(&percent) {
            return Err(Flow::error(self.info.error(
                format!("Cannot validate argument on parameter 'PercentComplete'. The {percent} argument is greater than the maximum allowed range of 100. Supply an argument that is less than or equal to 100 and then try the command again."),
                "ParameterArgumentValidationError",
                ErrorCategory::InvalidData,
                "System.Management.Automation.ParameterBindingValidationException",
                Value::Null,
            )));
        }
        let rec = ProgressRecord {
            activity,
            status: self
                .b
                .string("Status")
                .unwrap_or_else(|| "Processing".into()),
            percent,
            activity_id: int("Id", 0),
            parent_id: int("ParentId", -1),
            completed: self.b.flag("Completed"),
            current_operation: self.b.string("CurrentOperation"),
            seconds_remaining: int("SecondsRemaining", -1),
        };
        rt.emit(JobEvent::Progress(rec)).await;
        Ok(())
    }
}
