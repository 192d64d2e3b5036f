//! The device authorization response, [RFC 8628 section 3.2](https://www.rfc-editor.org/rfc/rfc8628#section-3.2).

use serde::{Deserialize, Serialize};

/// What the device authorization endpoint answers: the codes, where the user goes, and how
/// long and how often the device may poll the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAuthorizationResponse {
    /// The code the device redeems at the token endpoint (a secret of the device).
    pub device_code: String,
    /// The code the user types on the verification page, shown as `XXXX-XXXX`.
    pub user_code: String,
    /// Where the user enters the code.
    pub verification_uri: String,
    /// The verification URI with the user code in it, for a link or QR code (section 3.3.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_uri_complete: Option<String>,
    /// Seconds until both codes expire.
    pub expires_in: u64,
    /// Seconds the device waits between polls (section 3.5: add 5 on every `slow_down`).
    #[serde(default = "default_interval")]
    pub interval: u64,
}

/// Section 3.2: without `interval`, the client uses 5 seconds.
fn default_interval() -> u64 {
    5
}
