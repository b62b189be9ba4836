//! The command table: every cmdlet's parameters, their sets, positions and types, as PowerShell declares them.

use super::*;

// ---------------------------------------------------------------------------
// The command table.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    String,
    StringArray,
    Int32,
    Int32Array,
    Guid,
    GuidArray,
    Switch,
    Uri,
    UriArray,
    Credential,
    Sessions,
    SessionOption,
    ScriptBlock,
    Object,
    ObjectArray,
    Hashtable,
    Culture,
    EnumObm,
    EnumAuth,
    EnumWsmanAuth,
    EnumState,
    EnumOutTarget,
    EnumProxy,
    ActionPreference,
}

impl Ty {
    pub(super) fn type_name(self) -> &'static str {
        match self {
            Ty::String => "System.String",
            Ty::StringArray => "System.String[]",
            Ty::Int32 => "System.Int32",
            Ty::Int32Array => "System.Int32[]",
            Ty::Guid => "System.Guid",
            Ty::GuidArray => "System.Guid[]",
            Ty::Switch => "System.Management.Automation.SwitchParameter",
            Ty::Uri => "System.Uri",
            Ty::UriArray => "System.Uri[]",
            Ty::Credential => "System.Management.Automation.PSCredential",
            Ty::Sessions => "System.Management.Automation.Runspaces.PSSession[]",
            Ty::SessionOption => "System.Management.Automation.Remoting.PSSessionOption",
            Ty::ScriptBlock => "System.Management.Automation.ScriptBlock",
            Ty::Object => "System.Management.Automation.PSObject",
            Ty::ObjectArray => "System.Object[]",
            Ty::Hashtable => "System.Collections.Hashtable",
            Ty::Culture => "System.Globalization.CultureInfo",
            Ty::EnumObm => OutputBufferingMode::TYPE_NAME,
            Ty::EnumAuth => AuthenticationMechanism::TYPE_NAME,
            Ty::EnumWsmanAuth => WsmanAuthentication::TYPE_NAME,
            Ty::EnumState => SessionFilterState::TYPE_NAME,
            Ty::EnumOutTarget => OutTarget::TYPE_NAME,
            Ty::EnumProxy => ProxyAccessType::TYPE_NAME,
            Ty::ActionPreference => "System.Management.Automation.ActionPreference",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct SetSpec {
    pub(super) set: &'static str,
    pub(super) mandatory: bool,
    pub(super) position: Option<u8>,
    pub(super) pipeline: bool,
}

#[derive(Debug)]
pub(super) struct ParamDef {
    pub(super) name: &'static str,
    pub(super) aliases: &'static [&'static str],
    pub(super) ty: Ty,
    pub(super) sets: &'static [SetSpec],
    pub(super) range: Option<(i64, i64)>,
}

#[derive(Debug)]
pub(super) struct CmdletDef {
    pub(super) name: &'static str,
    pub(super) aliases: &'static [&'static str],
    pub(super) class: &'static str,
    pub(super) default_set: &'static str,
    pub(super) sets: &'static [&'static str],
    pub(super) params: &'static [ParamDef],
}

pub(super) const fn opt(set: &'static str) -> SetSpec {
    SetSpec {
        set,
        mandatory: false,
        position: None,
        pipeline: false,
    }
}
pub(super) const fn mand(set: &'static str) -> SetSpec {
    SetSpec {
        set,
        mandatory: true,
        position: None,
        pipeline: false,
    }
}
pub(super) const fn mand_pos(set: &'static str, p: u8) -> SetSpec {
    SetSpec {
        set,
        mandatory: true,
        position: Some(p),
        pipeline: false,
    }
}
pub(super) const fn opt_pos(set: &'static str, p: u8) -> SetSpec {
    SetSpec {
        set,
        mandatory: false,
        position: Some(p),
        pipeline: false,
    }
}
pub(super) const fn mand_pos_pipe(set: &'static str, p: u8) -> SetSpec {
    SetSpec {
        set,
        mandatory: true,
        position: Some(p),
        pipeline: true,
    }
}
pub(super) const fn opt_pipe(set: &'static str) -> SetSpec {
    SetSpec {
        set,
        mandatory: false,
        position: None,
        pipeline: true,
    }
}

pub(super) const fn p(
    name: &'static str,
    aliases: &'static [&'static str],
    ty: Ty,
    sets: &'static [SetSpec],
) -> ParamDef {
    ParamDef {
        name,
        aliases,
        ty,
        sets,
        range: None,
    }
}
pub(super) const fn pr(
    name: &'static str,
    aliases: &'static [&'static str],
    ty: Ty,
    sets: &'static [SetSpec],
    lo: i64,
    hi: i64,
) -> ParamDef {
    ParamDef {
        name,
        aliases,
        ty,
        sets,
        range: Some((lo, hi)),
    }
}

pub(super) const I32MAX: i64 = i32::MAX as i64;
pub(super) const ALL_OPT: &[SetSpec] = &[opt(ALL)];

pub(super) const COMMON: &[ParamDef] = &[
    p("Verbose", &["vb"], Ty::Switch, ALL_OPT),
    p("Debug", &["db"], Ty::Switch, ALL_OPT),
    p("ErrorAction", &["ea"], Ty::ActionPreference, ALL_OPT),
    p("WarningAction", &["wa"], Ty::ActionPreference, ALL_OPT),
    p(
        "InformationAction",
        &["infa"],
        Ty::ActionPreference,
        ALL_OPT,
    ),
    p("ErrorVariable", &["ev"], Ty::String, ALL_OPT),
    p("WarningVariable", &["wv"], Ty::String, ALL_OPT),
    p("InformationVariable", &["iv"], Ty::String, ALL_OPT),
    p("OutVariable", &["ov"], Ty::String, ALL_OPT),
    p("OutBuffer", &["ob"], Ty::Int32, ALL_OPT),
    p("PipelineVariable", &["pv"], Ty::String, ALL_OPT),
];

// New-PSSession
pub(super) const NS_CN: &str = "ComputerName";
pub(super) const NS_URI: &str = "Uri";
pub(super) const NS_SES: &str = "Session";
pub(super) const NEW_PSSESSION: CmdletDef = CmdletDef {
    name: "New-PSSession",
    aliases: &["nsn"],
    class: "Microsoft.PowerShell.Commands.NewPSSessionCommand",
    default_set: NS_CN,
    sets: &[NS_CN, NS_URI, NS_SES],
    params: &[
        p(
            "ComputerName",
            &["Cn"],
            Ty::StringArray,
            &[opt_pos(NS_CN, 0)],
        ),
        p(
            "Credential",
            &[],
            Ty::Credential,
            &[opt(NS_CN), opt(NS_URI)],
        ),
        p("Name", &[], Ty::StringArray, ALL_OPT),
        pr("Port", &[], Ty::Int32, &[opt(NS_CN)], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt(NS_CN)]),
        p("ApplicationName", &[], Ty::String, &[opt(NS_CN)]),
        p(
            "ConfigurationName",
            &[],
            Ty::String,
            &[opt(NS_CN), opt(NS_URI)],
        ),
        p(
            "ConnectionUri",
            &["URI", "CU"],
            Ty::UriArray,
            &[mand_pos(NS_URI, 0)],
        ),
        p("AllowRedirection", &[], Ty::Switch, &[opt(NS_URI)]),
        p("Session", &[], Ty::Sessions, &[mand_pos_pipe(NS_SES, 0)]),
        p(
            "Authentication",
            &[],
            Ty::EnumAuth,
            &[opt(NS_CN), opt(NS_URI)],
        ),
        p(
            "CertificateThumbprint",
            &[],
            Ty::String,
            &[opt(NS_CN), opt(NS_URI)],
        ),
        p(
            "SessionOption",
            &[],
            Ty::SessionOption,
            &[opt(NS_CN), opt(NS_URI)],
        ),
        p("ThrottleLimit", &[], Ty::Int32, ALL_OPT),
        p("EnableNetworkAccess", &[], Ty::Switch, ALL_OPT),
    ],
};

// Get-PSSession
pub(super) const GS_NAME: &str = "Name";
pub(super) const GS_CN: &str = "ComputerName";
pub(super) const GS_CU: &str = "ConnectionUri";
pub(super) const GS_CNI: &str = "ComputerInstanceId";
pub(super) const GS_CUI: &str = "ConnectionUriInstanceId";
pub(super) const GS_IID: &str = "InstanceId";
pub(super) const GS_ID: &str = "Id";
pub(super) const GS_REMOTE: &[SetSpec] = &[opt(GS_CN), opt(GS_CU), opt(GS_CNI), opt(GS_CUI)];
pub(super) const GET_PSSESSION: CmdletDef = CmdletDef {
    name: "Get-PSSession",
    aliases: &["gsn"],
    class: "Microsoft.PowerShell.Commands.GetPSSessionCommand",
    default_set: GS_NAME,
    sets: &[GS_NAME, GS_CN, GS_CU, GS_CNI, GS_CUI, GS_IID, GS_ID],
    params: &[
        p(
            "ComputerName",
            &["Cn"],
            Ty::StringArray,
            &[mand_pos(GS_CN, 0), mand_pos(GS_CNI, 0)],
        ),
        p(
            "ApplicationName",
            &[],
            Ty::String,
            &[opt(GS_CN), opt(GS_CNI)],
        ),
        p("ConfigurationName", &[], Ty::String, GS_REMOTE),
        p(
            "ConnectionUri",
            &["URI", "CU"],
            Ty::UriArray,
            &[mand_pos(GS_CU, 0), mand_pos(GS_CUI, 0)],
        ),
        p(
            "AllowRedirection",
            &[],
            Ty::Switch,
            &[opt(GS_CU), opt(GS_CUI)],
        ),
        p(
            "Name",
            &[],
            Ty::StringArray,
            &[opt(GS_NAME), opt(GS_CN), opt(GS_CU)],
        ),
        p(
            "InstanceId",
            &[],
            Ty::GuidArray,
            &[mand(GS_IID), mand(GS_CNI), mand(GS_CUI)],
        ),
        p("Id", &[], Ty::Int32Array, &[mand_pos(GS_ID, 0)]),
        p(
            "State",
            &[],
            Ty::EnumState,
            &[
                opt(GS_NAME),
                opt(GS_CN),
                opt(GS_CU),
                opt(GS_CNI),
                opt(GS_CUI),
                opt(GS_IID),
            ],
        ),
        p("Credential", &[], Ty::Credential, GS_REMOTE),
        p("Authentication", &[], Ty::EnumAuth, GS_REMOTE),
        p("CertificateThumbprint", &[], Ty::String, GS_REMOTE),
        pr("Port", &[], Ty::Int32, &[opt(GS_CN), opt(GS_CNI)], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt(GS_CN), opt(GS_CNI)]),
        p("ThrottleLimit", &[], Ty::Int32, GS_REMOTE),
        p("SessionOption", &[], Ty::SessionOption, GS_REMOTE),
    ],
};

// Disconnect-PSSession
pub(super) const DS_SES: &str = "Session";
pub(super) const DS_NAME: &str = "Name";
pub(super) const DS_IID: &str = "InstanceId";
pub(super) const DS_ID: &str = "Id";
pub(super) const DISCONNECT_PSSESSION: CmdletDef = CmdletDef {
    name: "Disconnect-PSSession",
    aliases: &["dnsn"],
    class: "Microsoft.PowerShell.Commands.DisconnectPSSessionCommand",
    default_set: DS_SES,
    sets: &[DS_SES, DS_NAME, DS_IID, DS_ID],
    params: &[
        p("Session", &[], Ty::Sessions, &[mand_pos_pipe(DS_SES, 0)]),
        pr("IdleTimeoutSec", &[], Ty::Int32, ALL_OPT, 0, I32MAX),
        p("OutputBufferingMode", &[], Ty::EnumObm, ALL_OPT),
        p("ThrottleLimit", &[], Ty::Int32, ALL_OPT),
        p("Name", &[], Ty::StringArray, &[mand(DS_NAME)]),
        p("InstanceId", &[], Ty::GuidArray, &[mand(DS_IID)]),
        p("Id", &[], Ty::Int32Array, &[mand_pos(DS_ID, 0)]),
        p("WhatIf", &["wi"], Ty::Switch, ALL_OPT),
        p("Confirm", &["cf"], Ty::Switch, ALL_OPT),
    ],
};

// Connect-PSSession
pub(super) const CS_NAME: &str = "Name";
pub(super) const CS_SES: &str = "Session";
pub(super) const CS_CN: &str = "ComputerName";
pub(super) const CS_CNG: &str = "ComputerNameGuid";
pub(super) const CS_CU: &str = "ConnectionUri";
pub(super) const CS_CUG: &str = "ConnectionUriGuid";
pub(super) const CS_IID: &str = "InstanceId";
pub(super) const CS_ID: &str = "Id";
pub(super) const CS_REMOTE: &[SetSpec] = &[opt(CS_CN), opt(CS_CNG), opt(CS_CU), opt(CS_CUG)];
pub(super) const CS_LOCAL_AND_REMOTE: &[SetSpec] = &[
    opt(CS_NAME),
    opt(CS_SES),
    opt(CS_CN),
    opt(CS_CNG),
    opt(CS_CU),
    opt(CS_CUG),
    opt(CS_IID),
    opt(CS_ID),
];
pub(super) const CONNECT_PSSESSION: CmdletDef = CmdletDef {
    name: "Connect-PSSession",
    aliases: &["cnsn"],
    class: "Microsoft.PowerShell.Commands.ConnectPSSessionCommand",
    default_set: CS_NAME,
    sets: &[CS_NAME, CS_SES, CS_CN, CS_CNG, CS_CU, CS_CUG, CS_IID, CS_ID],
    params: &[
        p("Session", &[], Ty::Sessions, &[mand_pos_pipe(CS_SES, 0)]),
        p(
            "ComputerName",
            &["Cn"],
            Ty::StringArray,
            &[mand_pos(CS_CN, 0), mand_pos(CS_CNG, 0)],
        ),
        p(
            "ApplicationName",
            &[],
            Ty::String,
            &[opt(CS_CN), opt(CS_CNG)],
        ),
        p("ConfigurationName", &[], Ty::String, CS_REMOTE),
        p(
            "ConnectionUri",
            &["URI", "CU"],
            Ty::UriArray,
            &[mand_pos(CS_CU, 0), mand_pos(CS_CUG, 0)],
        ),
        p(
            "AllowRedirection",
            &[],
            Ty::Switch,
            &[opt(CS_CU), opt(CS_CUG)],
        ),
        p(
            "InstanceId",
            &[],
            Ty::GuidArray,
            &[mand(CS_CNG), mand(CS_CUG), mand(CS_IID)],
        ),
        p(
            "Name",
            &[],
            Ty::StringArray,
            &[opt(CS_CN), opt(CS_CU), mand(CS_NAME)],
        ),
        p("Credential", &[], Ty::Credential, CS_REMOTE),
        p("Authentication", &[], Ty::EnumAuth, CS_REMOTE),
        p("CertificateThumbprint", &[], Ty::String, CS_REMOTE),
        pr("Port", &[], Ty::Int32, &[opt(CS_CN), opt(CS_CNG)], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt(CS_CN), opt(CS_CNG)]),
        p("SessionOption", &[], Ty::SessionOption, CS_REMOTE),
        p("Id", &[], Ty::Int32Array, &[mand_pos(CS_ID, 0)]),
        p("ThrottleLimit", &[], Ty::Int32, CS_LOCAL_AND_REMOTE),
        p("WhatIf", &["wi"], Ty::Switch, ALL_OPT),
        p("Confirm", &["cf"], Ty::Switch, ALL_OPT),
    ],
};

// Receive-PSSession
pub(super) const RS_SES: &str = "Session";
pub(super) const RS_ID: &str = "Id";
pub(super) const RS_CSN: &str = "ComputerSessionName";
pub(super) const RS_CIID: &str = "ComputerInstanceId";
pub(super) const RS_USN: &str = "ConnectionUriSessionName";
pub(super) const RS_UIID: &str = "ConnectionUriInstanceId";
pub(super) const RS_IID: &str = "InstanceId";
pub(super) const RS_SN: &str = "SessionName";
pub(super) const RS_REMOTE: &[SetSpec] = &[opt(RS_CSN), opt(RS_CIID), opt(RS_USN), opt(RS_UIID)];
pub(super) const RECEIVE_PSSESSION: CmdletDef = CmdletDef {
    name: "Receive-PSSession",
    aliases: &["rcsn"],
    class: "Microsoft.PowerShell.Commands.ReceivePSSessionCommand",
    default_set: RS_SES,
    sets: &[
        RS_SES, RS_ID, RS_CSN, RS_CIID, RS_USN, RS_UIID, RS_IID, RS_SN,
    ],
    params: &[
        p("Session", &[], Ty::Sessions, &[mand_pos_pipe(RS_SES, 0)]),
        p("Id", &[], Ty::Int32, &[mand_pos(RS_ID, 0)]),
        p(
            "ComputerName",
            &["Cn"],
            Ty::String,
            &[mand_pos(RS_CSN, 0), mand_pos(RS_CIID, 0)],
        ),
        p(
            "ApplicationName",
            &[],
            Ty::String,
            &[opt(RS_CSN), opt(RS_CIID)],
        ),
        p("ConfigurationName", &[], Ty::String, RS_REMOTE),
        p(
            "ConnectionUri",
            &["URI", "CU"],
            Ty::Uri,
            &[mand_pos(RS_USN, 0), mand_pos(RS_UIID, 0)],
        ),
        p(
            "AllowRedirection",
            &[],
            Ty::Switch,
            &[opt(RS_USN), opt(RS_UIID)],
        ),
        p(
            "InstanceId",
            &[],
            Ty::Guid,
            &[mand(RS_CIID), mand(RS_UIID), mand(RS_IID)],
        ),
        p(
            "Name",
            &[],
            Ty::String,
            &[mand(RS_CSN), mand(RS_USN), mand(RS_SN)],
        ),
        p("OutTarget", &[], Ty::EnumOutTarget, ALL_OPT),
        p("JobName", &[], Ty::String, ALL_OPT),
        p("Credential", &[], Ty::Credential, RS_REMOTE),
        p("Authentication", &[], Ty::EnumAuth, RS_REMOTE),
        p("CertificateThumbprint", &[], Ty::String, RS_REMOTE),
        pr(
            "Port",
            &[],
            Ty::Int32,
            &[opt(RS_CSN), opt(RS_CIID)],
            1,
            65535,
        ),
        p("UseSSL", &[], Ty::Switch, &[opt(RS_CSN), opt(RS_CIID)]),
        p("SessionOption", &[], Ty::SessionOption, RS_REMOTE),
        p("WhatIf", &["wi"], Ty::Switch, ALL_OPT),
        p("Confirm", &["cf"], Ty::Switch, ALL_OPT),
    ],
};

// Invoke-Command
pub(super) const IC_INPROC: &str = "InProcess";
pub(super) const IC_SES: &str = "Session";
pub(super) const IC_CN: &str = "ComputerName";
pub(super) const IC_URI: &str = "Uri";
pub(super) const IC_FSES: &str = "FilePathRunspace";
pub(super) const IC_FCN: &str = "FilePathComputerName";
pub(super) const IC_FURI: &str = "FilePathUri";
pub(super) const IC_REMOTE: &[SetSpec] = &[opt(IC_CN), opt(IC_URI), opt(IC_FCN), opt(IC_FURI)];
pub(super) const IC_ANY_REMOTE: &[SetSpec] = &[
    opt(IC_SES),
    opt(IC_CN),
    opt(IC_URI),
    opt(IC_FSES),
    opt(IC_FCN),
    opt(IC_FURI),
];
pub(super) const INVOKE_COMMAND: CmdletDef = CmdletDef {
    name: "Invoke-Command",
    aliases: &["icm"],
    class: "Microsoft.PowerShell.Commands.InvokeCommandCommand",
    default_set: IC_INPROC,
    sets: &[IC_INPROC, IC_SES, IC_CN, IC_URI, IC_FSES, IC_FCN, IC_FURI],
    params: &[
        p(
            "Session",
            &[],
            Ty::Sessions,
            &[opt_pos(IC_SES, 0), opt_pos(IC_FSES, 0)],
        ),
        p(
            "ComputerName",
            &["Cn"],
            Ty::StringArray,
            &[opt_pos(IC_CN, 0), opt_pos(IC_FCN, 0)],
        ),
        p("Credential", &[], Ty::Credential, IC_REMOTE),
        pr("Port", &[], Ty::Int32, &[opt(IC_CN), opt(IC_FCN)], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt(IC_CN), opt(IC_FCN)]),
        p("ConfigurationName", &[], Ty::String, IC_REMOTE),
        p(
            "ApplicationName",
            &[],
            Ty::String,
            &[opt(IC_CN), opt(IC_FCN)],
        ),
        p("ThrottleLimit", &[], Ty::Int32, IC_ANY_REMOTE),
        p(
            "ConnectionUri",
            &["URI", "CU"],
            Ty::UriArray,
            &[opt_pos(IC_URI, 0), opt_pos(IC_FURI, 0)],
        ),
        p("AsJob", &[], Ty::Switch, IC_ANY_REMOTE),
        p(
            "InDisconnectedSession",
            &["Disconnected"],
            Ty::Switch,
            IC_REMOTE,
        ),
        p(
            "SessionName",
            &[],
            Ty::StringArray,
            &[opt(IC_CN), opt(IC_FCN)],
        ),
        p("HideComputerName", &["HCN"], Ty::Switch, IC_ANY_REMOTE),
        p("JobName", &[], Ty::String, IC_ANY_REMOTE),
        p(
            "ScriptBlock",
            &["Command"],
            Ty::ScriptBlock,
            &[
                mand_pos(IC_INPROC, 0),
                mand_pos(IC_SES, 1),
                mand_pos(IC_CN, 1),
                mand_pos(IC_URI, 1),
            ],
        ),
        p("NoNewScope", &[], Ty::Switch, &[opt(IC_INPROC)]),
        p(
            "FilePath",
            &["PSPath"],
            Ty::String,
            &[
                mand_pos(IC_FSES, 1),
                mand_pos(IC_FCN, 1),
                mand_pos(IC_FURI, 1),
            ],
        ),
        p(
            "AllowRedirection",
            &[],
            Ty::Switch,
            &[opt(IC_URI), opt(IC_FURI)],
        ),
        p("SessionOption", &[], Ty::SessionOption, IC_REMOTE),
        p("Authentication", &[], Ty::EnumAuth, IC_REMOTE),
        p(
            "EnableNetworkAccess",
            &[],
            Ty::Switch,
            &[opt(IC_CN), opt(IC_FCN), opt(IC_URI), opt(IC_FURI)],
        ),
        p("InputObject", &[], Ty::Object, &[opt_pipe(ALL)]),
        p("ArgumentList", &["Args"], Ty::ObjectArray, ALL_OPT),
        p("CertificateThumbprint", &[], Ty::String, IC_REMOTE),
    ],
};

// Remove-PSSession
pub(super) const RM_ID: &str = "Id";
pub(super) const RM_SES: &str = "Session";
pub(super) const RM_IID: &str = "InstanceId";
pub(super) const RM_NAME: &str = "Name";
pub(super) const RM_CN: &str = "ComputerName";
pub(super) const REMOVE_PSSESSION: CmdletDef = CmdletDef {
    name: "Remove-PSSession",
    aliases: &["rsn"],
    class: "Microsoft.PowerShell.Commands.RemovePSSessionCommand",
    default_set: RM_ID,
    sets: &[RM_ID, RM_SES, RM_IID, RM_NAME, RM_CN],
    params: &[
        p("Id", &[], Ty::Int32Array, &[mand_pos(RM_ID, 0)]),
        p("Session", &[], Ty::Sessions, &[mand_pos_pipe(RM_SES, 0)]),
        p("InstanceId", &[], Ty::GuidArray, &[mand(RM_IID)]),
        p("Name", &[], Ty::StringArray, &[mand(RM_NAME)]),
        p(
            "ComputerName",
            &["Cn"],
            Ty::StringArray,
            &[mand_pos(RM_CN, 0)],
        ),
        // Not PowerShell's: deletes a Busy session as its owner (see README).
        p("Force", &[], Ty::Switch, ALL_OPT),
        p("WhatIf", &["wi"], Ty::Switch, ALL_OPT),
        p("Confirm", &["cf"], Ty::Switch, ALL_OPT),
    ],
};

// New-PSSessionOption
pub(super) const NEW_PSSESSION_OPTION: CmdletDef = CmdletDef {
    name: "New-PSSessionOption",
    aliases: &[],
    class: "Microsoft.PowerShell.Commands.NewPSSessionOptionCommand",
    default_set: ALL,
    sets: &[ALL],
    params: &[
        p("MaximumRedirection", &[], Ty::Int32, ALL_OPT),
        p("NoCompression", &[], Ty::Switch, ALL_OPT),
        p("NoMachineProfile", &[], Ty::Switch, ALL_OPT),
        p("Culture", &[], Ty::Culture, ALL_OPT),
        p("UICulture", &[], Ty::Culture, ALL_OPT),
        pr(
            "MaximumReceivedDataSizePerCommand",
            &[],
            Ty::Int32,
            ALL_OPT,
            0,
            I32MAX,
        ),
        pr(
            "MaximumReceivedObjectSize",
            &[],
            Ty::Int32,
            ALL_OPT,
            0,
            I32MAX,
        ),
        p("OutputBufferingMode", &[], Ty::EnumObm, ALL_OPT),
        p("ApplicationArguments", &[], Ty::Hashtable, ALL_OPT),
        pr(
            "OpenTimeout",
            &["OpenTimeoutMSec"],
            Ty::Int32,
            ALL_OPT,
            0,
            I32MAX,
        ),
        pr(
            "CancelTimeout",
            &["CancelTimeoutMSec"],
            Ty::Int32,
            ALL_OPT,
            0,
            I32MAX,
        ),
        pr(
            "IdleTimeout",
            &["IdleTimeoutMSec"],
            Ty::Int32,
            ALL_OPT,
            -1,
            I32MAX,
        ),
        p("ProxyAccessType", &[], Ty::EnumProxy, ALL_OPT),
        p("ProxyAuthentication", &[], Ty::EnumAuth, ALL_OPT),
        p("ProxyCredential", &[], Ty::Credential, ALL_OPT),
        p("SkipCACheck", &[], Ty::Switch, ALL_OPT),
        p("SkipCNCheck", &[], Ty::Switch, ALL_OPT),
        p("SkipRevocationCheck", &[], Ty::Switch, ALL_OPT),
        pr(
            "OperationTimeout",
            &["OperationTimeoutMSec"],
            Ty::Int32,
            ALL_OPT,
            0,
            I32MAX,
        ),
        p("NoEncryption", &[], Ty::Switch, ALL_OPT),
        p("UseUTF16", &[], Ty::Switch, ALL_OPT),
        p("IncludePortInSPN", &[], Ty::Switch, ALL_OPT),
    ],
};

pub(super) const GET_PSSESSION_CONFIGURATION: CmdletDef = CmdletDef {
    name: "Get-PSSessionConfiguration",
    aliases: &[],
    class: "Get-PSSessionConfiguration",
    default_set: ALL,
    sets: &[ALL],
    params: &[
        p("Name", &[], Ty::StringArray, &[opt_pos(ALL, 0)]),
        p("Force", &[], Ty::Switch, ALL_OPT),
    ],
};

pub(super) const TEST_WSMAN: CmdletDef = CmdletDef {
    name: "Test-WSMan",
    aliases: &[],
    class: "Microsoft.WSMan.Management.TestWSManCommand",
    default_set: "ComputerName",
    sets: &["ComputerName"],
    params: &[
        p(
            "ComputerName",
            &["cn"],
            Ty::String,
            &[opt_pos("ComputerName", 0)],
        ),
        p(
            "Authentication",
            &["auth", "am"],
            Ty::EnumWsmanAuth,
            ALL_OPT,
        ),
        pr("Port", &[], Ty::Int32, &[opt("ComputerName")], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt("ComputerName")]),
        p("ApplicationName", &[], Ty::String, &[opt("ComputerName")]),
        p("Credential", &["cred", "c"], Ty::Credential, ALL_OPT),
        p("CertificateThumbprint", &[], Ty::String, ALL_OPT),
    ],
};

pub(super) const CONNECT_WSMAN: CmdletDef = CmdletDef {
    name: "Connect-WSMan",
    aliases: &[],
    class: "Microsoft.WSMan.Management.ConnectWSManCommand",
    default_set: "ComputerName",
    sets: &["ComputerName", "URI"],
    params: &[
        p("ApplicationName", &[], Ty::String, &[opt("ComputerName")]),
        p(
            "ComputerName",
            &["cn"],
            Ty::String,
            &[opt_pos("ComputerName", 0)],
        ),
        p("ConnectionURI", &[], Ty::Uri, &[mand("URI")]),
        p("SessionOption", &["so"], Ty::SessionOption, ALL_OPT),
        pr("Port", &[], Ty::Int32, &[opt("ComputerName")], 1, 65535),
        p("UseSSL", &[], Ty::Switch, &[opt("ComputerName")]),
        p(
            "Authentication",
            &["auth", "am"],
            Ty::EnumWsmanAuth,
            ALL_OPT,
        ),
        p("Credential", &["cred", "c"], Ty::Credential, ALL_OPT),
        p("CertificateThumbprint", &[], Ty::String, ALL_OPT),
    ],
};

pub(super) const DISCONNECT_WSMAN: CmdletDef = CmdletDef {
    name: "Disconnect-WSMan",
    aliases: &[],
    class: "Microsoft.WSMan.Management.DisconnectWSManCommand",
    default_set: ALL,
    sets: &[ALL],
    params: &[p("ComputerName", &[], Ty::String, &[opt_pos(ALL, 0)])],
};

pub(super) const FORMAT_LIST: CmdletDef = CmdletDef {
    name: "Format-List",
    aliases: &["fl"],
    class: "Microsoft.PowerShell.Commands.FormatListCommand",
    default_set: ALL,
    sets: &[ALL],
    params: &[
        p("Property", &[], Ty::ObjectArray, &[opt_pos(ALL, 0)]),
        p("InputObject", &[], Ty::Object, &[opt_pipe(ALL)]),
    ],
};

pub(super) const FORMAT_TABLE: CmdletDef = CmdletDef {
    name: "Format-Table",
    aliases: &["ft"],
    class: "Microsoft.PowerShell.Commands.FormatTableCommand",
    default_set: ALL,
    sets: &[ALL],
    params: &[
        p("AutoSize", &[], Ty::Switch, ALL_OPT),
        p("Property", &[], Ty::ObjectArray, &[opt_pos(ALL, 0)]),
        p("InputObject", &[], Ty::Object, &[opt_pipe(ALL)]),
    ],
};

pub(super) const GET_HELP: CmdletDef = CmdletDef {
    name: "Get-Help",
    aliases: &["help"],
    class: "Microsoft.PowerShell.Commands.GetHelpCommand",
    default_set: "AllUsersView",
    sets: &["AllUsersView", "DetailedView", "Examples", "Parameters"],
    params: &[
        p("Name", &[], Ty::String, &[opt_pos(ALL, 0)]),
        p("Full", &[], Ty::Switch, &[opt("AllUsersView")]),
        p("Detailed", &[], Ty::Switch, &[mand("DetailedView")]),
        p("Examples", &[], Ty::Switch, &[mand("Examples")]),
        p("Parameter", &[], Ty::StringArray, &[mand("Parameters")]),
    ],
};

pub(super) const GET_COMMAND: CmdletDef = CmdletDef {
    name: "Get-Command",
    aliases: &["gcm"],
    class: "Microsoft.PowerShell.Commands.GetCommandCommand",
    default_set: ALL,
    sets: &[ALL],
    params: &[
        p("Name", &[], Ty::StringArray, &[opt_pos(ALL, 0)]),
        p("Verb", &[], Ty::StringArray, ALL_OPT),
        p("Noun", &[], Ty::StringArray, ALL_OPT),
        p("Syntax", &[], Ty::Switch, ALL_OPT),
    ],
};

pub(super) static CMDLETS: &[&CmdletDef] = &[
    &NEW_PSSESSION,
    &GET_PSSESSION,
    &DISCONNECT_PSSESSION,
    &CONNECT_PSSESSION,
    &RECEIVE_PSSESSION,
    &INVOKE_COMMAND,
    &REMOVE_PSSESSION,
    &NEW_PSSESSION_OPTION,
    &GET_PSSESSION_CONFIGURATION,
    &TEST_WSMAN,
    &CONNECT_WSMAN,
    &DISCONNECT_WSMAN,
    &FORMAT_LIST,
    &FORMAT_TABLE,
    &GET_HELP,
    &GET_COMMAND,
];
