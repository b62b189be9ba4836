//! The object cmdlets: Select-Object, Sort-Object, Measure-Object, Out-String, ForEach-Object, Where-Object.

use super::*;

pub(super) fn prop_of(v: &Value, name: &str) -> Value {
    v.property(name).unwrap_or(Value::Null)
}

/// A property selector: a name (wildcards allowed) or a calculated property.
pub(super) enum Selector {
    Name(String),
    Calc(String, Option<ScriptBlock>, String),
}

pub(super) fn selectors(v: Option<&Value>) -> Vec<Selector> {
    let Some(v) = v else { return Vec::new() };
    v.clone()
        .into_items()
        .into_iter()
        .map(|item| match &item {
            Value::Hashtable(entries) => {
                let get = |keys: &[&str]| {
                    entries
                        .iter()
                        .find(|(k, _)| keys.iter().any(|x| k.eq_ignore_ascii_case(x)))
                        .map(|(_, v)| v.clone())
                };
                let expr = get(&["Expression", "E"]);
                let name = get(&["Name", "N", "Label", "L"]).map_or_else(
                    || expr.as_ref().map(Value::to_ps_string).unwrap_or_default(),
                    |n| n.to_ps_string(),
                );
                match expr {
                    Some(Value::ScriptBlock(sb)) => Selector::Calc(name, Some(sb), String::new()),
                    Some(other) => Selector::Calc(name, None, other.to_ps_string()),
                    None => Selector::Calc(name, None, String::new()),
                }
            }
            Value::ScriptBlock(sb) => {
                Selector::Calc(sb.text.trim().to_string(), Some(sb.clone()), String::new())
            }
            other => Selector::Name(other.to_ps_string()),
        })
        .collect()
}

pub(super) async fn select_value(rt: &Rt, sel: &Selector, item: &Value) -> R<Value> {
    match sel {
        Selector::Name(n) => Ok(prop_of(item, n)),
        Selector::Calc(_, Some(sb), _) => rt.invoke_block_value(sb, Some(item.clone())).await,
        Selector::Calc(_, None, prop) => Ok(prop_of(item, prop)),
    }
}

pub(super) fn property_names(v: &Value) -> Vec<String> {
    match v {
        Value::Object { props, .. } => props.iter().map(|(k, _)| k.clone()).collect(),
        Value::Hashtable(_) => vec!["Keys".into(), "Values".into(), "Count".into()],
        Value::String(_) => vec!["Length".into()],
        _ => Vec::new(),
    }
}

pub(super) fn sort_key_cmp(
    a: &[Value],
    b: &[Value],
    descending: bool,
    case: bool,
) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b.iter()) {
        let o = value::compare(x, y, case).unwrap_or(std::cmp::Ordering::Equal);
        if o != std::cmp::Ordering::Equal {
            return if descending { o.reverse() } else { o };
        }
    }
    std::cmp::Ordering::Equal
}

pub(super) fn where_compare(op: &str, left: &Value, right: &Value) -> bool {
    use std::cmp::Ordering::*;
    let case = op.starts_with('C') && op != "Contains";
    match op {
        "EQ" | "CEQ" => value::equals(left, right, case),
        "NE" | "CNE" => !value::equals(left, right, case),
        "GT" => value::compare(left, right, false) == Some(Greater),
        "LT" => value::compare(left, right, false) == Some(Less),
        "GE" => matches!(value::compare(left, right, false), Some(Greater | Equal)),
        "LE" => matches!(value::compare(left, right, false), Some(Less | Equal)),
        "Like" | "CLike" => {
            value::wildcard_match(&right.to_ps_string(), &left.to_ps_string(), case)
        }
        "NotLike" => !value::wildcard_match(&right.to_ps_string(), &left.to_ps_string(), false),
        "Match" | "CMatch" | "NotMatch" => {
            let re = regex::RegexBuilder::new(&right.to_ps_string())
                .case_insensitive(op != "CMatch")
                .size_limit(1 << 20)
                .build();
            match re {
                Ok(re) => re.is_match(&left.to_ps_string()) != (op == "NotMatch"),
                Err(_) => false,
            }
        }
        "Contains" => left
            .clone()
            .into_items()
            .iter()
            .any(|i| value::equals(i, right, false)),
        "NotContains" => !left
            .clone()
            .into_items()
            .iter()
            .any(|i| value::equals(i, right, false)),
        "In" => right
            .clone()
            .into_items()
            .iter()
            .any(|i| value::equals(i, left, false)),
        "NotIn" => !right
            .clone()
            .into_items()
            .iter()
            .any(|i| value::equals(i, left, false)),
        _ => false,
    }
}

impl Cmdlet {
    /// What MeasureObject does with each input object.
    pub(super) async fn process_measure_object(&mut self, input: Option<Value>) -> R<()> {
        let Some(item) = input else { return Ok(()) };
        let prop = self.b.string("Property");
        let State::Measure {
            count,
            values,
            missing_prop,
        } = &mut self.state
        else {
            return Ok(());
        };
        let v = match &prop {
            Some(p) => {
                if let Some(v) = item.property(p) {
                    v
                } else {
                    *missing_prop = true;
                    return Ok(());
                }
            }
            None => item,
        };
        *count += 1;
        if let Some(f) = v.to_f64()
            && values.len() < super::super::interp::MAX_ARRAY
        {
            values.push(f);
        }
        Ok(())
    }

    /// The commands that run script blocks, kept apart so that the stack frame of each
    /// nesting level stays small.
    pub(super) async fn process_blocks(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        match self.kind {
            Kind::ForEachObject => {
                let State::ForEach {
                    process, member, ..
                } = &self.state
                else {
                    return Ok(());
                };
                let process = process.clone();
                let member = member.clone();
                let item = input.clone();
                if let Some(m) = member {
                    if let Some(v) = item {
                        match v.property(&m) {
                            Some(p) => {
                                for x in p.into_items() {
                                    out.write(rt, x).await?;
                                }
                            }
                            None => {
                                if let Ok(r) = call_method(rt, v, &m, Vec::new()) {
                                    out.write(rt, r).await?;
                                }
                            }
                        }
                    }
                    return Ok(());
                }
                for sb in &process {
                    rt.invoke_block(sb, Some(item.clone().unwrap_or(Value::Null)), out)
                        .await?;
                }
                Ok(())
            }
            Kind::WhereObject => {
                let Some(item) = input else { return Ok(()) };
                let State::Where {
                    filter,
                    property,
                    op,
                    value,
                } = &self.state
                else {
                    return Ok(());
                };
                let keep = match (filter, property) {
                    (Some(sb), _) => {
                        let sb = sb.clone();
                        rt.invoke_block_value(&sb, Some(item.clone()))
                            .await?
                            .is_true()
                    }
                    (None, Some(prop)) => {
                        let pv = prop_of(&item, prop);
                        match op {
                            None => pv.is_true(),
                            Some(o) => where_compare(o, &pv, value),
                        }
                    }
                    (None, None) => false,
                };
                if keep {
                    out.write(rt, item).await?;
                }
                Ok(())
            }
            Kind::Invoke => {
                let State::Invoke {
                    block,
                    input: collected,
                    ran,
                } = &mut self.state
                else {
                    return Ok(());
                };
                if let Some(v) = input {
                    if collected.len() >= super::super::interp::MAX_ARRAY {
                        return Err(Flow::error(rt.too_large()));
                    }
                    collected.push(v);
                    Ok(())
                } else {
                    *ran = true;
                    let sb = block.clone();
                    self.run_invoke(rt, &sb, Vec::new(), out).await
                }
            }
            _ => Ok(()),
        }
    }

    /// Runs an invoked script block with `$args` and `$input` set.
    pub(super) async fn run_invoke(
        &self,
        rt: &Rt,
        sb: &ScriptBlock,
        input: Vec<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let args = self
            .b
            .get("Arguments")
            .cloned()
            .unwrap_or(Value::Array(Vec::new()));
        rt.set_var("args", args)?;
        rt.set_var("input", Value::Array(input))?;
        rt.invoke_block(sb, None, out).await
    }

    /// What SortObject does at the end of the input.
    pub(super) async fn end_sort_object(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let State::Buffer(buf) = &mut self.state else {
            return Ok(());
        };
        let items = std::mem::take(buf);
        let sels = selectors(self.b.get("Property"));
        let mut keyed: Vec<(Vec<Value>, Value)> = Vec::with_capacity(items.len());
        for item in items {
            rt.tick().await;
            let key = if sels.is_empty() {
                vec![item.clone()]
            } else {
                let mut k = Vec::new();
                for s in &sels {
                    k.push(select_value(rt, s, &item).await?);
                }
                k
            };
            keyed.push((key, item));
        }
        let desc = self.b.flag("Descending");
        let case = self.b.flag("CaseSensitive");
        keyed.sort_by(|a, b| sort_key_cmp(&a.0, &b.0, desc, case));
        if self.b.flag("Unique") {
            keyed.dedup_by(|a, b| {
                sort_key_cmp(&a.0, &b.0, false, case) == std::cmp::Ordering::Equal
            });
        }
        for (_, item) in keyed {
            out.write(rt, item).await?;
        }
        Ok(())
    }

    /// What OutString does at the end of the input.
    pub(super) async fn end_out_string(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let State::Buffer(buf) = &mut self.state else {
            return Ok(());
        };
        let items = std::mem::take(buf);
        if self.b.flag("Stream") {
            for i in items {
                out.write(rt, Value::String(i.display())).await?;
            }
        } else {
            let mut text: String = items
                .iter()
                .map(|i| format!("{}\r\n", i.display()))
                .collect();
            if text.is_empty() {
                text = String::new();
            }
            out.write(rt, Value::String(text)).await?;
        }
        Ok(())
    }

    /// What MeasureObject does at the end of the input.
    pub(super) async fn end_measure_object(&mut self, rt: &Rt, out: &mut dyn Sink) -> R<()> {
        let State::Measure {
            count,
            values,
            missing_prop,
        } = &self.state
        else {
            return Ok(());
        };
        let prop = self.b.string("Property");
        if *missing_prop
            && *count == 0
            && let Some(p) = &prop
        {
            self.error(
                rt,
                self.info.error(
                    format!("The property \"{p}\" cannot be found in the input for any objects."),
                    "GenericMeasurePropertyNotFound",
                    ErrorCategory::InvalidArgument,
                    "System.Management.Automation.PSArgumentException",
                    Value::Null,
                ),
            )
            .await?;
            return Ok(());
        }
        let sum: f64 = values.iter().sum();
        let opt = |flag: &str, v: Value| if self.b.flag(flag) { v } else { Value::Null };
        let num = Value::Double;
        let max = values
            .iter()
            .copied()
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
        let min = values
            .iter()
            .copied()
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))));
        let avg = if values.is_empty() {
            Value::Null
        } else {
            Value::Double(sum / values.len() as f64)
        };
        let obj = Value::Object {
            type_names: vec![
                "Microsoft.PowerShell.Commands.GenericMeasureInfo".into(),
                "Microsoft.PowerShell.Commands.MeasureInfo".into(),
                "System.Object".into(),
            ],
            props: vec![
                ("Count".into(), Value::Int(*count)),
                ("Average".into(), opt("Average", avg)),
                ("Sum".into(), opt("Sum", num(sum))),
                (
                    "Maximum".into(),
                    opt("Maximum", max.map_or(Value::Null, num)),
                ),
                (
                    "Minimum".into(),
                    opt("Minimum", min.map_or(Value::Null, num)),
                ),
                ("Property".into(), prop.map_or(Value::Null, Value::String)),
            ],
            to_string: None,
        };
        out.write(rt, obj).await
    }

    pub(super) async fn select_process(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let Some(item) = input else { return Ok(()) };
        let first = self
            .b
            .get("First")
            .and_then(Value::to_int)
            .map(|n| usize::try_from(n).unwrap_or(0));
        let last = self
            .b
            .get("Last")
            .and_then(Value::to_int)
            .map(|n| usize::try_from(n).unwrap_or(0));
        let skip = self
            .b
            .get("Skip")
            .and_then(Value::to_int)
            .map_or(0, |n| usize::try_from(n).unwrap_or(0));
        let unique = self.b.flag("Unique");
        let State::Select {
            seen,
            skipped,
            last: buf,
            uniq,
        } = &mut self.state
        else {
            return Ok(());
        };
        if first == Some(0) && last.is_none() {
            return Err(Flow::StopUpstream(self.token));
        }
        if *skipped < skip {
            *skipped += 1;
            return Ok(());
        }
        if unique {
            if uniq.iter().any(|u| value::equals(u, &item, true)) {
                return Ok(());
            }
            if uniq.len() < super::super::interp::MAX_ARRAY {
                uniq.push(item.clone());
            }
        }
        if let Some(n) = last
            && first.is_none()
        {
            buf.push_back(item);
            if buf.len() > n {
                buf.pop_front();
            }
            return Ok(());
        }
        *seen += 1;
        let count = *seen;
        let shaped = self.select_shape(rt, item).await?;
        for x in shaped {
            out.write(rt, x).await?;
        }
        if let Some(n) = first
            && count >= n
        {
            return Err(self.stop_upstream());
        }
        Ok(())
    }

    /// Applies -Property / -ExpandProperty to one item.
    pub(super) async fn select_shape(&self, rt: &Rt, item: Value) -> R<Vec<Value>> {
        if let Some(exp) = self.b.string("ExpandProperty") {
            return if let Some(v) = item.property(&exp) {
                Ok(match v {
                    Value::Array(items) => items,
                    other => vec![other],
                })
            } else {
                self.error(
                    rt,
                    self.info.error(
                        format!("Property \"{exp}\" cannot be found."),
                        "ExpandPropertyNotFound",
                        ErrorCategory::InvalidArgument,
                        "System.Management.Automation.PSArgumentException",
                        item,
                    ),
                )
                .await?;
                Ok(Vec::new())
            };
        }
        let sels = selectors(self.b.get("Property"));
        if sels.is_empty() {
            return Ok(vec![item]);
        }
        let mut props: Vec<(String, Value)> = Vec::new();
        for s in &sels {
            match s {
                Selector::Name(n) if crate::pslang::has_wildcard(n) => {
                    for k in property_names(&item) {
                        if value::wildcard_match(n, &k, false)
                            && !props.iter().any(|(x, _)| x.eq_ignore_ascii_case(&k))
                        {
                            let v = prop_of(&item, &k);
                            props.push((k, v));
                        }
                    }
                }
                Selector::Name(n) => {
                    let name = property_names(&item)
                        .into_iter()
                        .find(|k| k.eq_ignore_ascii_case(n))
                        .unwrap_or_else(|| n.clone());
                    props.push((name, prop_of(&item, n)));
                }
                Selector::Calc(name, _, _) => {
                    let v = select_value(rt, s, &item).await?;
                    props.push((name.clone(), v));
                }
            }
        }
        let base = item.type_name();
        Ok(vec![Value::Object {
            type_names: vec![
                format!("Selected.{base}"),
                "System.Management.Automation.PSCustomObject".into(),
                "System.Object".into(),
            ],
            props,
            to_string: None,
        }])
    }
}
