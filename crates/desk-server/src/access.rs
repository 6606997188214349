//! Who may do what: the one table of roles and permissions. Deny by default — a permission not
//! listed for a role is refused. Handlers ask for a permission in their signature
//! (`Authorized<SendRecoveryEmail>`), so a route without a check does not compile into one with.

use desk_api::Role;

/// A permission as a type, for extractors.
pub trait Perm: Send + Sync + 'static {
    const PERMISSION: Permission;
}

/// Each permission is a variant of `Permission` and a type of the same name for extractors.
macro_rules! permissions {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Permission {
            $($(#[$doc])* $name,)+
        }
        $(
            pub struct $name;
            impl Perm for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )+
    };
}

permissions!(
    ReadOwnSession,
    SearchAccounts,
    ViewAccount,
    SendRecoveryEmail,
    RevealAddress,
    WorkQueue,
    ViewEvidence,
    ReadAudit,
    /// Unlock an account, send a verification email, end the user's sessions.
    ActOnAccount,
    /// Challenge the caller for a code of the user's own factor.
    VerifyCaller,
    /// Invite staff, change roles, disable, reset authenticators, require single sign-on.
    ManageStaff,
    /// The active staff and their load, to hand requests out (leads).
    ListAgents,
);

/// What an agent may do: work with accounts and the queue.
const AGENT: &[Permission] = {
    use Permission::*;
    &[
        ReadOwnSession,
        SearchAccounts,
        ViewAccount,
        SendRecoveryEmail,
        RevealAddress,
        WorkQueue,
        ViewEvidence,
        ActOnAccount,
        VerifyCaller,
    ]
};

/// What a lead may do beyond an agent: audit, and hand requests out.
const LEAD: &[Permission] = &[Permission::ReadAudit, Permission::ListAgents];

/// What an admin may do beyond a lead: staff administration.
const ADMIN: &[Permission] = &[Permission::ManageStaff];

pub fn allowed(role: Role, permission: Permission) -> bool {
    let tiers: &[&[Permission]] = match role {
        Role::Agent => &[AGENT],
        Role::Lead => &[AGENT, LEAD],
        Role::Admin => &[AGENT, LEAD, ADMIN],
    };
    tiers.iter().any(|tier| tier.contains(&permission))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_cannot_read_the_audit_log_but_leads_can() {
        assert!(!allowed(Role::Agent, Permission::ReadAudit));
        assert!(allowed(Role::Lead, Permission::ReadAudit));
        assert!(allowed(Role::Agent, Permission::SendRecoveryEmail));
        assert!(!allowed(Role::Agent, Permission::ListAgents));
        assert!(allowed(Role::Lead, Permission::ListAgents));
    }

    #[test]
    fn only_admins_manage_staff() {
        assert!(allowed(Role::Admin, Permission::ManageStaff));
        assert!(!allowed(Role::Lead, Permission::ManageStaff));
        assert!(!allowed(Role::Agent, Permission::ManageStaff));
    }
}
