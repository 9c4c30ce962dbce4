//! Uploaded files' names and media types, checked before they are stored (issue 13, finding 14):
//! a name is a file name, not a path, and a media type is one a `Content-Type` header can carry.
//! Pure functions.

use std::str::FromStr;

/// The longest file name kept (characters).
pub const MAX_NAME_CHARS: usize = 255;

/// Why a name or media type is refused (the API's `detail`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// Empty after trimming, or over [`MAX_NAME_CHARS`].
    #[error("a file name has 1 to 255 characters")]
    NameLength,
    /// Holds a path separator or is `.` / `..`: a path, not a name.
    #[error("a file name may not contain / or \\ and may not be . or ..")]
    NamePath,
    /// Holds a control character (NUL, CR, LF, …).
    #[error("a file name may not contain control characters")]
    NameControl,
    /// Not a `type/subtype` media type (RFC 6838), or one that a header cannot carry.
    #[error("not a media type such as application/pdf")]
    MediaType,
}

/// The name as it will be stored and listed: trimmed, checked.
pub fn file_name(name: &str) -> Result<String, UploadError> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(UploadError::NameLength);
    }
    if name.chars().any(char::is_control) {
        return Err(UploadError::NameControl);
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(UploadError::NamePath);
    }
    Ok(name.to_string())
}

/// The media type as it will be stored and served: parsed, lower-cased `type/subtype` with its
/// parameters as given, and nothing a header cannot carry.
pub fn media_type(value: &str) -> Result<String, UploadError> {
    let value = value.trim();
    if value.is_empty() || value.len() > 200 || !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(UploadError::MediaType);
    }
    let m = mime::Mime::from_str(value).map_err(|_| UploadError::MediaType)?;
    if m.type_() == mime::STAR || m.subtype() == mime::STAR {
        return Err(UploadError::MediaType);
    }
    Ok(m.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_names_not_paths() {
        assert_eq!(
            file_name("  招标文件（第一标段）.pdf ").unwrap(),
            "招标文件（第一标段）.pdf"
        );
        assert_eq!(file_name("../../etc/passwd"), Err(UploadError::NamePath));
        assert_eq!(file_name("..\\boot.ini"), Err(UploadError::NamePath));
        assert_eq!(file_name(".."), Err(UploadError::NamePath));
        assert_eq!(file_name("a\u{0}b.pdf"), Err(UploadError::NameControl));
        assert_eq!(file_name("a\r\nb.pdf"), Err(UploadError::NameControl));
        assert_eq!(file_name("   "), Err(UploadError::NameLength));
        assert_eq!(file_name(&"长".repeat(256)), Err(UploadError::NameLength));
        assert!(file_name(&"长".repeat(255)).is_ok());
    }

    #[test]
    fn media_types_are_header_safe() {
        assert_eq!(media_type("application/pdf").unwrap(), "application/pdf");
        assert_eq!(media_type("Application/PDF").unwrap(), "application/pdf");
        assert_eq!(
            media_type("text/plain; charset=utf-8").unwrap(),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            media_type("application/pdf\r\nX-Evil: 1"),
            Err(UploadError::MediaType)
        );
        assert_eq!(media_type("pdf"), Err(UploadError::MediaType));
        assert_eq!(media_type("*/*"), Err(UploadError::MediaType));
        assert_eq!(media_type(""), Err(UploadError::MediaType));
        assert_eq!(
            media_type("application/pdf\u{0}"),
            Err(UploadError::MediaType)
        );
    }
}
