use desk_api::{CommandError, ErrorCode, Problem};

/// What can go wrong talking to the service, sorted by what the agent can do about it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the service at {url}")]
    Unreachable { url: String },
    /// The request may have reached the service, but its answer did not come back, and `attempts`
    /// sends (retries carry the same Idempotency-Key) did not get one either.
    #[error("the connection to the service at {url} broke before its answer arrived ({attempts} attempts)")]
    ConnectionLost { url: String, attempts: u32 },
    #[error("{0}")]
    InvalidServerUrl(String),
    /// The service answered with a problem document; `code` says which.
    #[error("{}", .0.detail)]
    Problem(Problem),
    #[error("the service answered {status} without a problem document")]
    Server { status: u16 },
    #[error("the service's answer was not understood: {0}")]
    UnexpectedResponse(String),
    #[error("sign in first")]
    NotSignedIn,
    #[error("the OS keychain is unavailable: {0}")]
    Keychain(String),
    /// The console's TLS settings (the extra CA file) cannot be used.
    #[error("{0}")]
    TlsSetup(String),
    /// A setting the deployment decides (its variable or the machine's file), not the agent.
    #[error("{0}")]
    Managed(String),
    /// The console's own settings file cannot be written.
    #[error("{0}")]
    LocalFile(String),
}

impl ClientError {
    pub fn code(&self) -> ErrorCode {
        match self {
            ClientError::Unreachable { .. } => ErrorCode::ServiceUnreachable,
            ClientError::ConnectionLost { .. } => ErrorCode::ConnectionLost,
            ClientError::InvalidServerUrl(_) => ErrorCode::InvalidInput,
            ClientError::Problem(p) => p.code,
            ClientError::Server { .. } => ErrorCode::Internal,
            ClientError::UnexpectedResponse(_) => ErrorCode::UnexpectedResponse,
            ClientError::NotSignedIn => ErrorCode::NotSignedIn,
            ClientError::Keychain(_) => ErrorCode::KeychainUnavailable,
            ClientError::TlsSetup(_) | ClientError::LocalFile(_) => ErrorCode::InvalidInput,
            ClientError::Managed(_) => ErrorCode::Forbidden,
        }
    }

    /// The session is gone: the console has to go back to sign-in.
    pub fn ends_session(&self) -> bool {
        matches!(self.code(), ErrorCode::Unauthorized | ErrorCode::SessionExpired | ErrorCode::NotSignedIn)
    }

    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ClientError::Problem(p) => p.retry_after,
            _ => None,
        }
    }

    pub fn to_command_error(&self) -> CommandError {
        let field = match self {
            ClientError::Problem(p) => p.field.clone(),
            ClientError::InvalidServerUrl(_) => Some("server_url".into()),
            _ => None,
        };
        CommandError { code: self.code(), message: self.to_string(), field, retry_after: self.retry_after() }
    }
}

impl From<ClientError> for CommandError {
    fn from(e: ClientError) -> Self {
        e.to_command_error()
    }
}
