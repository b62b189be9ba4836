//! The file system and location cmdlets: Get-ChildItem, New-Item, Test-Path, Get/Set/Add-Content, Remove-Item, Set-Location.

use super::*;

pub(super) fn fs_full(info: &CmdInfo, full: &str) -> ErrorInfo {
    info.error(
        "There is not enough space on the disk.",
        "NewItemIOError",
        ErrorCategory::WriteError,
        "System.IO.IOException",
        Value::str(full),
    )
}

/// A path from pipeline input: a string, or an item's FullName / PSPath.
pub(super) fn path_of_input(v: &Value) -> String {
    match v {
        Value::Object { .. } => v
            .property("FullName")
            .or_else(|| v.property("Path"))
            .map_or_else(|| v.to_ps_string(), |p| p.to_ps_string()),
        other => other.to_ps_string(),
    }
}

/// A FileInfo / DirectoryInfo object for a file-system entry.
pub(super) fn fs_item(rt: &Rt, e: &FsEntry) -> Value {
    let name = data::leaf_of(&e.path).to_string();
    let parent = data::parent_of(&e.path).unwrap_or_default();
    let time = e.created.unwrap_or_else(|| {
        // The image's own entries date from its installation, a fixed time before the clock.
        rt.ctx.clock - chrono::Duration::days(120)
    });
    let dt = Value::DateTime(time);
    let (ext, base) = if e.is_dir {
        (String::new(), name.clone())
    } else {
        match name.rfind('.') {
            Some(i) if i > 0 => (
                name.get(i..).unwrap_or("").to_string(),
                name.get(..i).unwrap_or("").to_string(),
            ),
            _ => (String::new(), name.clone()),
        }
    };
    let mut props: Vec<(String, Value)> = vec![
        (
            "PSPath".into(),
            Value::String(format!("Microsoft.PowerShell.Core\\FileSystem::{}", e.path)),
        ),
        (
            "PSParentPath".into(),
            Value::String(format!("Microsoft.PowerShell.Core\\FileSystem::{parent}")),
        ),
        ("PSChildName".into(), Value::str(name.clone())),
        ("PSIsContainer".into(), Value::Bool(e.is_dir)),
        (
            "Mode".into(),
            Value::str(if e.is_dir { "d-----" } else { "-a----" }),
        ),
        ("BaseName".into(), Value::str(base)),
        ("Name".into(), Value::str(name.clone())),
        ("FullName".into(), Value::str(e.path.clone())),
        ("Extension".into(), Value::str(ext)),
        ("Exists".into(), Value::Bool(true)),
        ("CreationTime".into(), dt.clone()),
        ("LastWriteTime".into(), dt.clone()),
        ("LastAccessTime".into(), dt),
        (
            "Attributes".into(),
            if e.is_dir {
                Value::enumeration("System.IO.FileAttributes", "Directory", 16)
            } else {
                Value::enumeration("System.IO.FileAttributes", "Archive", 32)
            },
        ),
    ];
    if !e.is_dir {
        props.push(("Length".into(), Value::Int(e.content.len() as i64)));
        props.push(("DirectoryName".into(), Value::str(parent)));
        props.push(("IsReadOnly".into(), Value::Bool(false)));
    }
    let types: &[&str] = if e.is_dir {
        &[
            "System.IO.DirectoryInfo",
            "System.IO.FileSystemInfo",
            "System.MarshalByRefObject",
            "System.Object",
        ]
    } else {
        &[
            "System.IO.FileInfo",
            "System.IO.FileSystemInfo",
            "System.MarshalByRefObject",
            "System.Object",
        ]
    };
    Value::Object {
        type_names: types.iter().map(std::string::ToString::to_string).collect(),
        props,
        to_string: Some(name),
    }
}

impl Cmdlet {
    /// What TestPath does with each input object.
    pub(super) async fn process_test_path(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let paths = match self.b.strings("Path") {
            Some(p) => p,
            None => input.map(|v| vec![path_of_input(&v)]).unwrap_or_default(),
        };
        let want = self.b.string("PathType").map(|s| s.to_ascii_lowercase());
        for p in paths {
            let exists = match self.resolve(rt, &p) {
                Ok(full) => {
                    let s = rt.session();
                    match s.fs.get(&full) {
                        Some(e) => match want.as_deref() {
                            Some("container") => e.is_dir,
                            Some("leaf") => !e.is_dir,
                            _ => true,
                        },
                        None => false,
                    }
                }
                Err(_) => false,
            };
            out.write(rt, Value::Bool(exists)).await?;
        }
        Ok(())
    }

    /// What GetContent does with each input object.
    pub(super) async fn process_get_content(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let paths = match self.b.strings("Path") {
            Some(p) => p,
            None => input.map(|v| vec![path_of_input(&v)]).unwrap_or_default(),
        };
        for p in paths {
            let full = match self.resolve(rt, &p) {
                Ok(f) => f,
                Err(e) => {
                    self.error(rt, e).await?;
                    continue;
                }
            };
            let content = {
                let s = rt.session();
                s.fs.get(&full).map(|e| (e.is_dir, e.content.clone()))
            };
            match content {
                None => self.error(rt, self.not_found(&full)).await?,
                Some((true, _)) => {
                    self.error(rt, self.info.error(
                        format!("Unable to get content because it is a directory: '{full}'. Please use 'Get-ChildItem' instead."),
                        "GetContentReaderUnauthorizedAccessError",
                        ErrorCategory::PermissionDenied,
                        "System.UnauthorizedAccessException",
                        Value::str(full.clone()),
                    )).await?;
                }
                Some((false, text)) => {
                    if self.b.flag("Raw") {
                        out.write(rt, Value::String(text)).await?;
                        continue;
                    }
                    let mut lines: Vec<&str> =
                        text.split('\n').map(|l| l.trim_end_matches('\r')).collect();
                    if lines.last() == Some(&"") {
                        lines.pop();
                    }
                    if let Some(n) = self.b.get("TotalCount").and_then(Value::to_int) {
                        lines.truncate(usize::try_from(n).unwrap_or(0));
                    }
                    if let Some(n) = self.b.get("Tail").and_then(Value::to_int) {
                        let n = usize::try_from(n).unwrap_or(0);
                        let skip = lines.len().saturating_sub(n);
                        lines.drain(..skip);
                    }
                    for l in lines {
                        out.write(rt, Value::str(l)).await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// What RemoveItem does with each input object.
    pub(super) async fn process_remove_item(&mut self, rt: &Rt, input: Option<Value>) -> R<()> {
        let paths = match self.b.strings("Path") {
            Some(p) => p,
            None => input.map(|v| vec![path_of_input(&v)]).unwrap_or_default(),
        };
        for p in paths {
            let full = match self.resolve(rt, &p) {
                Ok(f) => f,
                Err(e) => {
                    self.error(rt, e).await?;
                    continue;
                }
            };
            let state = {
                let s = rt.session();
                s.fs.get(&full)
                    .map(|e| (e.is_dir, !s.fs.children(&full).is_empty()))
            };
            match state {
                None => self.error(rt, self.not_found(&full)).await?,
                Some((true, true)) if !self.b.flag("Recurse") => {
                    self.error(rt, self.info.error(
                        format!("The item at {full} has children and the Recurse parameter was not specified. If you continue, all children will be removed with the item. Are you sure you want to continue?"),
                        "RemoveItemNotRecursive",
                        ErrorCategory::InvalidOperation,
                        "System.Management.Automation.PSInvalidOperationException",
                        Value::str(full.clone()),
                    )).await?;
                }
                Some(_) => rt.session().fs.remove_tree(&full),
            }
        }
        Ok(())
    }

    /// What SetLocation does with each input object.
    pub(super) async fn process_set_location(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let target = self
            .b
            .string("Path")
            .or_else(|| input.map(|v| path_of_input(&v)))
            .unwrap_or_else(|| "~".into());
        let full = match self.resolve(rt, &target) {
            Ok(f) => f,
            Err(e) => return Err(Flow::error(e)),
        };
        let is_dir = rt.session().fs.get(&full).map(|e| e.is_dir);
        match is_dir {
            Some(true) => {
                rt.session().location = full;
                if self.b.flag("PassThru") {
                    let v = rt.get_var("PWD");
                    out.write(rt, v).await?;
                }
                Ok(())
            }
            _ => Err(Flow::error(self.not_found(&full))),
        }
    }

    /// What SetContent, AddContent do at the end of the input.
    pub(super) async fn end_set_content(&mut self, rt: &Rt) -> R<()> {
        let State::Content(piped) = &self.state else {
            return Ok(());
        };
        let lines: Vec<String> = match self.b.get("Value") {
            Some(v) => v
                .clone()
                .into_items()
                .iter()
                .map(Value::to_ps_string)
                .collect(),
            None => piped.clone(),
        };
        let paths = self.b.strings("Path").unwrap_or_default();
        for p in paths {
            let full = match self.resolve(rt, &p) {
                Ok(f) => f,
                Err(e) => {
                    self.error(rt, e).await?;
                    continue;
                }
            };
            let mut text: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
            if self.b.flag("NoNewline") {
                text = lines.concat();
            }
            let now = rt.wall_clock();
            let parent = data::parent_of(&full).unwrap_or_default();
            let result = {
                let mut s = rt.session();
                let parent_ok = s.fs.get(&parent).is_some_and(|e| e.is_dir);
                match s.fs.get_mut(&full) {
                    Some(e) if e.is_dir => Err(1),
                    Some(e) => {
                        if self.kind == Kind::AddContent {
                            e.content.push_str(&text);
                        } else {
                            e.content = text;
                        }
                        e.created = Some(now);
                        Ok(())
                    }
                    None if !parent_ok => Err(2),
                    None => {
                        if s.fs.insert(FsEntry {
                            path: full.clone(),
                            is_dir: false,
                            content: text,
                            created: Some(now),
                        }) {
                            Ok(())
                        } else {
                            Err(3)
                        }
                    }
                }
            };
            match result {
                Ok(()) => {}
                Err(1) => {
                    self.error(
                        rt,
                        self.info.error(
                            format!("Access to the path '{full}' is denied."),
                            "GetContentWriterUnauthorizedAccessError",
                            ErrorCategory::PermissionDenied,
                            "System.UnauthorizedAccessException",
                            Value::str(full.clone()),
                        ),
                    )
                    .await?;
                }
                Err(2) => {
                    self.error(
                        rt,
                        self.info.error(
                            format!("Could not find a part of the path '{full}'."),
                            "GetContentWriterDirectoryNotFoundError",
                            ErrorCategory::ObjectNotFound,
                            "System.IO.DirectoryNotFoundException",
                            Value::str(full.clone()),
                        ),
                    )
                    .await?;
                }
                Err(_) => self.error(rt, fs_full(&self.info, &full)).await?,
            }
        }
        Ok(())
    }

    #[allow(clippy::result_large_err)]
    pub(super) fn resolve(&self, rt: &Rt, path: &str) -> Result<String, ErrorInfo> {
        let (loc, home) = {
            let s = rt.session();
            (
                s.location.clone(),
                format!(r"C:\Users\{}", rt.ctx.user_name),
            )
        };
        data::resolve_path(&loc, &home, path).map_err(|drive| {
            self.info.error(
                format!("Cannot find drive. A drive with the name '{drive}' does not exist."),
                "DriveNotFound",
                ErrorCategory::ObjectNotFound,
                "System.Management.Automation.DriveNotFoundException",
                Value::str(drive.clone()),
            )
        })
    }

    pub(super) fn not_found(&self, full: &str) -> ErrorInfo {
        self.info.error(
            format!("Cannot find path '{full}' because it does not exist."),
            "PathNotFound",
            ErrorCategory::ObjectNotFound,
            "System.Management.Automation.ItemNotFoundException",
            Value::str(full),
        )
    }

    pub(super) async fn get_child_item(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let paths = match self.b.strings("Path") {
            Some(p) => p,
            None => vec![input.map_or_else(|| ".".into(), |v| path_of_input(&v))],
        };
        let filter = self.b.string("Filter");
        let recurse = self.b.flag("Recurse");
        let names_only = self.b.flag("Name");
        for p in paths {
            let full = match self.resolve(rt, &p) {
                Ok(f) => f,
                Err(e) => {
                    self.error(rt, e).await?;
                    continue;
                }
            };
            // Wildcards in the last segment filter the parent's children.
            let leaf = data::leaf_of(&full).to_string();
            let (dir, pattern) = if crate::pslang::has_wildcard(&leaf) {
                (
                    data::parent_of(&full).unwrap_or_else(|| "C:\\".into()),
                    Some(leaf),
                )
            } else {
                (full.clone(), None)
            };
            let entry = rt.session().fs.get(&dir).cloned();
            let Some(entry) = entry else {
                self.error(rt, self.not_found(&dir)).await?;
                continue;
            };
            if !entry.is_dir {
                let v = if names_only {
                    Value::str(data::leaf_of(&entry.path))
                } else {
                    fs_item(rt, &entry)
                };
                out.write(rt, v).await?;
                continue;
            }
            let mut stack = vec![dir.clone()];
            while let Some(d) = stack.pop() {
                let children: Vec<FsEntry> =
                    rt.session().fs.children(&d).into_iter().cloned().collect();
                let mut subdirs = Vec::new();
                for c in children {
                    rt.tick().await;
                    let name = data::leaf_of(&c.path).to_string();
                    let pat_ok = pattern
                        .as_ref()
                        .is_none_or(|pt| value::wildcard_match(pt, &name, false));
                    let filter_ok = filter
                        .as_ref()
                        .is_none_or(|f| value::wildcard_match(f, &name, false));
                    let kind_ok = !(self.b.flag("File") && c.is_dir)
                        && (!self.b.flag("Directory") || c.is_dir);
                    if c.is_dir && recurse {
                        subdirs.push(c.path.clone());
                    }
                    if pat_ok && filter_ok && kind_ok {
                        let v = if names_only {
                            let rel = c
                                .path
                                .get(dir.trim_end_matches('\\').len() + 1..)
                                .unwrap_or(&name)
                                .to_string();
                            Value::String(rel)
                        } else {
                            fs_item(rt, &c)
                        };
                        out.write(rt, v).await?;
                    }
                }
                subdirs.reverse();
                stack.extend(subdirs);
            }
        }
        Ok(())
    }

    pub(super) async fn new_item(
        &mut self,
        rt: &Rt,
        input: Option<Value>,
        out: &mut dyn Sink,
    ) -> R<()> {
        let mut paths = match self.b.strings("Path") {
            Some(p) => p,
            None => input.map(|v| vec![path_of_input(&v)]).unwrap_or_default(),
        };
        if paths.is_empty() {
            paths.push(".".into());
        }
        let item_type = if self.kind == Kind::Mkdir {
            Some("directory".to_string())
        } else {
            self.b.string("ItemType").map(|t| t.to_ascii_lowercase())
        };
        let is_dir = match item_type.as_deref() {
            Some("directory" | "dir" | "container") => true,
            Some("file") | None => false,
            Some(other) => {
                return Err(Flow::error(self.info.error(
                    format!("The type is not a known type for the file system. Only \"file\" and \"directory\" can be specified. ({other})"),
                    "Argument",
                    ErrorCategory::InvalidArgument,
                    "System.ArgumentException",
                    Value::Null,
                )))
            }
        };
        let force = self.b.flag("Force");
        let content = self
            .b
            .get("Value")
            .map(Value::to_ps_string)
            .unwrap_or_default();
        for p in paths {
            let p = match self.b.string("Name") {
                Some(n) => format!("{p}\\{n}"),
                None => p,
            };
            let full = match self.resolve(rt, &p) {
                Ok(f) => f,
                Err(e) => {
                    self.error(rt, e).await?;
                    continue;
                }
            };
            let now = rt.wall_clock();
            let existing = rt.session().fs.get(&full).cloned();
            if let Some(e) = existing {
                if e.is_dir && is_dir {
                    if force {
                        out.write(rt, fs_item(rt, &e)).await?;
                    } else {
                        self.error(
                            rt,
                            self.info.error(
                                format!("An item with the specified name {full} already exists."),
                                "DirectoryExist",
                                ErrorCategory::ResourceExists,
                                "System.IO.IOException",
                                Value::str(full.clone()),
                            ),
                        )
                        .await?;
                    }
                    continue;
                }
                if !force || e.is_dir != is_dir {
                    self.error(
                        rt,
                        self.info.error(
                            format!("The file '{full}' already exists."),
                            "NewItemIOError",
                            ErrorCategory::WriteError,
                            "System.IO.IOException",
                            Value::str(full.clone()),
                        ),
                    )
                    .await?;
                    continue;
                }
            }
            // Directories get their parents created; files need an existing parent
            // unless -Force.
            let mut missing = Vec::new();
            let mut cur = data::parent_of(&full);
            while let Some(c) = cur {
                if rt.session().fs.get(&c).is_some() {
                    break;
                }
                missing.push(c.clone());
                cur = data::parent_of(&c);
            }
            if !missing.is_empty() && !is_dir && !force {
                self.error(
                    rt,
                    self.info.error(
                        format!("Could not find a part of the path '{full}'."),
                        "NewItemIOError",
                        ErrorCategory::WriteError,
                        "System.IO.DirectoryNotFoundException",
                        Value::str(full.clone()),
                    ),
                )
                .await?;
                continue;
            }
            let created = {
                let mut s = rt.session();
                let mut ok = true;
                for m in missing.iter().rev() {
                    ok &= s.fs.insert(FsEntry {
                        path: m.clone(),
                        is_dir: true,
                        content: String::new(),
                        created: Some(now),
                    });
                }
                s.fs.remove_tree(&full);
                let entry = FsEntry {
                    path: full.clone(),
                    is_dir,
                    content: content.clone(),
                    created: Some(now),
                };
                ok &= s.fs.insert(entry.clone());
                if ok { Some(entry) } else { None }
            };
            match created {
                Some(entry) => out.write(rt, fs_item(rt, &entry)).await?,
                None => self.error(rt, fs_full(&self.info, &full)).await?,
            }
        }
        Ok(())
    }
}
