//! Roles and planes (DESIGN.md §2, API.md "Roles and planes").

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A plane of the separated powers: who owns (writes) which data, and which PostgreSQL role a
/// request is served with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Plane {
    /// Accounts and orgs (admin).
    Identity,
    /// Decisions: approvals, rules, calendar, filings (regulator).
    Decide,
    /// Execution: projects, tenders, bids, openings, auctions (centre, agencies, bidders, experts).
    Execute,
    /// Supervision: holds, warnings, red flags, observations (supervisors).
    Supervise,
    /// Anonymous public disclosure.
    Public,
}

impl Plane {
    /// Every plane, in a fixed order.
    pub const ALL: [Plane; 5] = [
        Plane::Identity,
        Plane::Decide,
        Plane::Execute,
        Plane::Supervise,
        Plane::Public,
    ];

    /// The snake_case name used in JWTs, configuration and the PostgreSQL role (`ggzy_<name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Plane::Identity => "identity",
            Plane::Decide => "decide",
            Plane::Execute => "execute",
            Plane::Supervise => "supervise",
            Plane::Public => "public",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Plane> {
        Plane::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The PostgreSQL role this plane connects as.
    pub fn db_role(self) -> String {
        format!("ggzy_{}", self.as_str())
    }
}

/// One role per account (API.md "Roles and planes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员: accounts only, no part in any transaction.
    Admin,
    /// 行政监管部门 / 管委会.
    Regulator,
    /// 交易中心工作人员.
    CenterStaff,
    /// 招标代理机构 / 采购代理机构.
    Agency,
    /// 招标人 / 采购人.
    Purchaser,
    /// 评标专家.
    Expert,
    /// 投标人 / 竞买人 / 供应商.
    Bidder,
    /// 纪检监察 / 电子监察.
    Supervisor,
    /// 社会监督员.
    SocialSupervisor,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::Regulator,
        Role::CenterStaff,
        Role::Agency,
        Role::Purchaser,
        Role::Expert,
        Role::Bidder,
        Role::Supervisor,
        Role::SocialSupervisor,
    ];

    /// The snake_case name, as stored and sent in JWTs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Regulator => "regulator",
            Role::CenterStaff => "center_staff",
            Role::Agency => "agency",
            Role::Purchaser => "purchaser",
            Role::Expert => "expert",
            Role::Bidder => "bidder",
            Role::Supervisor => "supervisor",
            Role::SocialSupervisor => "social_supervisor",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The plane an account of this role belongs to.
    pub fn plane(self) -> Plane {
        match self {
            Role::Admin => Plane::Identity,
            Role::Regulator => Plane::Decide,
            Role::CenterStaff | Role::Agency | Role::Purchaser | Role::Expert | Role::Bidder => {
                Plane::Execute
            }
            Role::Supervisor | Role::SocialSupervisor => Plane::Supervise,
        }
    }

    /// Roles whose accounts belong to an org (the bidding or tendering entity).
    pub fn needs_org(self) -> bool {
        matches!(self, Role::Agency | Role::Purchaser | Role::Bidder)
    }

    /// Officials whose account creation is a public log entry (API.md "Accounts").
    pub fn is_official(self) -> bool {
        matches!(self, Role::Regulator | Role::CenterStaff | Role::Supervisor)
    }
}
