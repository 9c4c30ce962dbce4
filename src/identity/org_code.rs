//! 统一社会信用代码 validation: GB 32100-2015 (the 18th character, a mod-31 check over the first
//! 17) and, for its 9-character organisation code part (characters 9–17), GB 11714 (a mod-11
//! check digit).

/// The 31 characters GB 32100 uses (no I, O, S, V, Z).
const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Position weights of GB 32100 (3^i mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// Position weights of GB 11714.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// Why a code is not a valid 统一社会信用代码.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgCodeError {
    /// Not 18 characters.
    #[error("a 统一社会信用代码 has 18 characters")]
    Length,
    /// A character outside the GB 32100 set.
    #[error("character {0:?} is not allowed in a 统一社会信用代码")]
    Charset(char),
    /// Characters 3–8 must be a region code.
    #[error("characters 3–8 must be the registering authority's region code (digits)")]
    Region,
    /// The GB 11714 check digit of the organisation code part is wrong.
    #[error("the organisation code part (characters 9–17) fails its GB 11714 check")]
    OrgCheck,
    /// The 18th character is wrong.
    #[error("the check character (18th) is wrong (GB 32100-2015)")]
    Check,
}

fn value(c: char) -> Option<u32> {
    CHARSET.find(c).map(|i| i as u32)
}

/// The GB 11714 check character for an 8-character organisation code body.
pub fn org_check_char(body: &str) -> Option<char> {
    let mut sum = 0;
    for (c, w) in body.chars().zip(ORG_WEIGHTS) {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return None,
        };
        sum += v * w;
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10)?,
    })
}

/// The GB 32100 check character for the first 17 characters.
pub fn check_char(first17: &str) -> Option<char> {
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value(c)? * w;
    }
    CHARSET.chars().nth(((31 - sum % 31) % 31) as usize)
}

/// Validates a 统一社会信用代码 (upper case, 18 characters).
pub fn validate(code: &str) -> Result<(), OrgCodeError> {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(OrgCodeError::Length);
    }
    if let Some(c) = chars.iter().find(|c| value(**c).is_none()) {
        return Err(OrgCodeError::Charset(*c));
    }
    if !chars[2..8].iter().all(|c| c.is_ascii_digit()) {
        return Err(OrgCodeError::Region);
    }
    let body: String = chars[8..16].iter().collect();
    if org_check_char(&body) != Some(chars[16]) {
        return Err(OrgCodeError::OrgCheck);
    }
    let first17: String = chars[..17].iter().collect();
    if check_char(&first17) != Some(chars[17]) {
        return Err(OrgCodeError::Check);
    }
    Ok(())
}

/// Builds a valid code from a registration prefix (2 characters), a region (6 digits) and an
/// 8-character organisation body — for demos and tests.
pub fn compose(prefix: &str, region: &str, body: &str) -> Option<String> {
    let org = format!("{body}{}", org_check_char(body)?);
    let first17 = format!("{prefix}{region}{org}");
    let code = format!("{first17}{}", check_char(&first17)?);
    validate(&code).ok().map(|_| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on real business licences (public registry samples).
        for code in [
            "91350100M000100Y43",
            "91440300708461136T",
            "9144030071526726XG",
            "91110108551385082Q",
        ] {
            assert_eq!(validate(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn refuses_broken_codes() {
        assert_eq!(validate("91350100M000100Y4"), Err(OrgCodeError::Length));
        assert_eq!(validate("91350100M000100Y44"), Err(OrgCodeError::Check));
        assert_eq!(
            validate("91350100M000100YI3"),
            Err(OrgCodeError::Charset('I'))
        );
        assert_eq!(validate("9135010AM000100Y43"), Err(OrgCodeError::Region));
        // organisation part altered, 18th character recomputed: only GB 11714 catches it
        let first17 = "91350100M000100Z4".replace('Z', "X");
        let bad = format!("{first17}{}", check_char(&first17).unwrap());
        assert_eq!(validate(&bad), Err(OrgCodeError::OrgCheck));
    }

    #[test]
    fn compose_makes_valid_codes() {
        let c = compose("91", "440400", "MA4W1234").unwrap();
        assert_eq!(validate(&c), Ok(()));
        assert_eq!(c.len(), 18);
    }
}
