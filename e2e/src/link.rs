//! The app's link format for `?scenario=` (docs/url-format.md,
//! web/src/url.rs `encode_text`): the text's UTF-8 bytes, raw DEFLATE at
//! level 9, URL-safe base64 without padding. The web crate is a binary, so
//! the two lines are repeated here; the link test checks that the app
//! opens what this writes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The `DATA` of `?scenario=DATA` for `text`.
pub fn encode_text(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 9))
}
