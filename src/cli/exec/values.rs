//! Statements and values: variables, members, arguments, and the
//! sessions a command targets.

use super::*;

impl Shell {
    pub(super) fn run_statement(
        &mut self,
        st: &BoundStatement,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        let mut objs = match &st.input {
            Some(v) => self.eval(v, out, err)?,
            None => Vec::new(),
        };
        for cmd in &st.commands {
            objs = self.run_command(&cmd.invocation, cmd.cmdlet, objs, out, err)?;
        }
        Ok(objs)
    }

    pub(super) fn eval(
        &mut self,
        v: &Value,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<Obj>, CmdError> {
        Ok(match v {
            Value::Null => Vec::new(),
            Value::Bool(b) => vec![Obj::Text(if *b { "True" } else { "False" }.into())],
            Value::Int(i) => vec![Obj::Int(*i)],
            Value::Double(d) => vec![Obj::Text(d.to_string())],
            Value::String(s) | Value::ScriptBlock(s) => vec![Obj::Text(s.clone())],
            Value::Expandable(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        StrPart::Literal(l) => s.push_str(l),
                        StrPart::Variable(v) => {
                            let objs = self.eval(&Value::Variable(v.clone()), out, err)?;
                            s.push_str(&objs.iter().map(obj_text).collect::<Vec<_>>().join(" "));
                        }
                        StrPart::SubExpression(stmts) => {
                            let objs = self.eval(&Value::SubExpression(stmts.clone()), out, err)?;
                            s.push_str(&objs.iter().map(obj_text).collect::<Vec<_>>().join(" "));
                        }
                    }
                }
                vec![Obj::Text(s)]
            }
            Value::Variable(var) => {
                let base = self.variable(&var.name)?;
                let mut cur = base;
                for m in &var.members {
                    cur = self.member(cur, m)?;
                }
                cur
            }
            Value::List(items) => {
                let mut all = Vec::new();
                for i in items {
                    all.extend(self.eval(i, out, err)?);
                }
                all
            }
            Value::Hashtable(entries) => {
                let mut rec = Vec::new();
                for (k, v) in entries {
                    let objs = self.eval(v, out, err)?;
                    rec.push((
                        k.clone(),
                        objs.iter().map(obj_text).collect::<Vec<_>>().join(", "),
                    ));
                }
                vec![Obj::Record(rec)]
            }
            Value::SubPipeline(p) => {
                let st = crate::cli::bind_statement(&crate::cli::syntax::Statement::Pipeline(
                    (**p).clone(),
                ))
                .map_err(|e| {
                    let mut c = CmdError::new(e.command.as_str(), e.message.clone());
                    c.category = "InvalidArgument";
                    c.reason = "ParameterBindingException";
                    c.error_id = e.fully_qualified_error_id.clone();
                    c
                })?;
                self.run_statement(&st, out, err)?
            }
            Value::SubExpression(stmts) => {
                let mut all = Vec::new();
                for s in stmts {
                    let st = crate::cli::bind_statement(s)
                        .map_err(|e| CmdError::new(e.command.as_str(), e.message.clone()))?;
                    let objs = self.run_statement(&st, out, err)?;
                    match &st.assign_to {
                        Some(var) => {
                            self.vars.insert(var.to_ascii_lowercase(), objs);
                        }
                        None => all.extend(objs),
                    }
                }
                all
            }
        })
    }

    pub(super) fn variable(&self, name: &str) -> Result<Vec<Obj>, CmdError> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "null" => return Ok(Vec::new()),
            "true" => return Ok(vec![Obj::Text("True".into())]),
            "false" => return Ok(vec![Obj::Text("False".into())]),
            _ => {}
        }
        Ok(self
            .vars
            .get(&lower)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|o| self.refresh(o))
            .collect())
    }

    /// A session object as the repository knows it now (removed ones are Closed).
    pub(super) fn refresh(&self, o: Obj) -> Obj {
        match o {
            Obj::Session(s) => {
                let k = s.key();
                if let Some(r) = self.repo.iter().find(|r| r.key() == k) {
                    Obj::Session(Box::new(r.clone()))
                } else {
                    let mut s = s;
                    s.info.state = SessionState::Closed;
                    s.info.availability = Availability::None;
                    Obj::Session(s)
                }
            }
            other => other,
        }
    }

    pub(super) fn member(&self, objs: Vec<Obj>, m: &Member) -> Result<Vec<Obj>, CmdError> {
        match m {
            Member::Index(i) => {
                let n = objs.len() as i64;
                let idx = if *i < 0 { n + *i } else { *i };
                Ok(usize::try_from(idx)
                    .ok()
                    .and_then(|i| objs.get(i).cloned())
                    .into_iter()
                    .collect())
            }
            Member::Property(p) | Member::Key(p) => {
                let mut res = Vec::new();
                for o in objs {
                    if let Some(v) = property(&o, p) {
                        res.push(v);
                    }
                }
                Ok(res)
            }
        }
    }

    /// A deferred argument resolved to a syntax value for the `coerce_*` functions.
    pub(super) fn resolve_value(
        &mut self,
        v: &Value,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Value, CmdError> {
        let objs = self.eval(v, out, err)?;
        let vals: Vec<Value> = objs
            .iter()
            .map(|o| match o {
                Obj::Int(i) => Value::Int(*i),
                other => Value::String(obj_text(other)),
            })
            .collect();
        Ok(match vals.len() {
            0 => Value::Null,
            1 => vals.into_iter().next().unwrap_or(Value::Null),
            _ => Value::List(vals),
        })
    }

    pub(super) fn arg<T: Clone>(
        &mut self,
        command: &str,
        param: &str,
        a: &Option<Arg<T>>,
        conv: fn(&str, &Value) -> Result<T, String>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Option<T>, CmdError> {
        match a {
            None => Ok(None),
            Some(Arg::Value(v)) => Ok(Some(v.clone())),
            Some(Arg::Deferred(v)) => {
                let val = self.resolve_value(v, out, err)?;
                if val == Value::Null {
                    return Err(bind_error(
                        command,
                        format!("Cannot bind argument to parameter '{param}' because it is null."),
                    ));
                }
                conv(param, &val)
                    .map(Some)
                    .map_err(|m| bind_error(command, m))
            }
        }
    }

    pub(super) fn sessions_of(
        &mut self,
        command: &str,
        v: &Value,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<LocalSession>, CmdError> {
        let objs = self.eval(v, out, err)?;
        if objs.is_empty() {
            return Err(bind_error(
                command,
                "Cannot bind argument to parameter 'Session' because it is null.".to_owned(),
            ));
        }
        to_sessions(command, objs)
    }

    pub(super) fn target_sessions(
        &mut self,
        command: &str,
        t: &SessionTarget,
        input: Vec<Obj>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Vec<LocalSession>, CmdError> {
        match t {
            SessionTarget::Sessions(v) => self.sessions_of(command, v, out, err),
            SessionTarget::Pipeline => to_sessions(command, input),
            SessionTarget::Name(n) => {
                let names = self
                    .arg(
                        command,
                        "Name",
                        &Some(n.clone()),
                        cmdlets::coerce_string_array,
                        out,
                        err,
                    )?
                    .unwrap_or_default();
                let found: Vec<LocalSession> = self
                    .repo
                    .iter()
                    .filter(|s| names.iter().any(|p| wildcard_match(p, &s.info.name)))
                    .cloned()
                    .collect();
                if found.is_empty() {
                    return Err(not_found(
                        command,
                        format!(
                            "The remote session with the name {} is not available.",
                            names.join(", ")
                        ),
                    ));
                }
                Ok(found)
            }
            SessionTarget::InstanceId(i) => {
                let ids = self
                    .arg(
                        command,
                        "InstanceId",
                        &Some(i.clone()),
                        cmdlets::coerce_guid_array,
                        out,
                        err,
                    )?
                    .unwrap_or_default();
                let found: Vec<LocalSession> = self
                    .repo
                    .iter()
                    .filter(|s| ids.contains(&s.info.instance_id))
                    .cloned()
                    .collect();
                if found.is_empty() {
                    return Err(not_found(
                        command,
                        format!(
                            "The remote session with the instance ID {} is not available.",
                            ids.iter()
                                .map(Uuid::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                Ok(found)
            }
            SessionTarget::Id(i) => {
                let ids = self
                    .arg(
                        command,
                        "Id",
                        &Some(i.clone()),
                        cmdlets::coerce_int_array,
                        out,
                        err,
                    )?
                    .unwrap_or_default();
                let found: Vec<LocalSession> = self
                    .repo
                    .iter()
                    .filter(|s| ids.iter().any(|i| i64::from(*i) == i64::from(s.info.id)))
                    .cloned()
                    .collect();
                if found.is_empty() {
                    return Err(not_found(
                        command,
                        format!(
                            "The remote session with the session ID {} is not available.",
                            ids.iter()
                                .map(i32::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
                Ok(found)
            }
            SessionTarget::ComputerName(c) => {
                let names = self
                    .arg(
                        command,
                        "ComputerName",
                        &Some(c.clone()),
                        cmdlets::coerce_string_array,
                        out,
                        err,
                    )?
                    .unwrap_or_default();
                Ok(self
                    .repo
                    .iter()
                    .filter(|s| {
                        names.iter().any(|p| {
                            wildcard_match(p, &s.info.computer_name)
                                || wildcard_match(p, &s.computer.name)
                        })
                    })
                    .cloned()
                    .collect())
            }
        }
    }
}
