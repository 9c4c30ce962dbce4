//! Money: CNY amounts as decimals with two places, never floats. JSON carries them as strings
//! (`"1234567.80"`).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

/// An amount of CNY with exactly two decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ToSchema)]
#[schema(value_type = String, example = "1234567.80")]
pub struct Money(Decimal);

/// Why a string is not an amount of money.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MoneyError {
    /// Not a decimal number.
    #[error("not a decimal amount")]
    NotDecimal,
    /// More than two decimal places.
    #[error("more than two decimal places")]
    TooPrecise,
    /// Below zero.
    #[error("negative amount")]
    Negative,
    /// Beyond numeric(18,2).
    #[error("amount too large")]
    TooLarge,
}

impl Money {
    /// Largest amount a numeric(18,2) column holds.
    pub fn max() -> Money {
        Money(Decimal::new(9_999_999_999_999_999, 2))
    }
    /// From a decimal, refusing more than two places, negatives and overflow.
    pub fn new(d: Decimal) -> Result<Money, MoneyError> {
        if d.is_sign_negative() && !d.is_zero() {
            return Err(MoneyError::Negative);
        }
        if d.normalize().scale() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        if d > Money::max().0 {
            return Err(MoneyError::TooLarge);
        }
        let mut d = d;
        d.rescale(2);
        Ok(Money(d))
    }
    /// The decimal value (scale 2).
    pub fn amount(self) -> Decimal {
        self.0
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Money, MoneyError> {
        // Only plain decimal notation: no exponent, no sign, no spaces.
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(MoneyError::NotDecimal);
        }
        let d = Decimal::from_str_exact(s).map_err(|_| MoneyError::NotDecimal)?;
        Money::new(d)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|e| serde::de::Error::custom(format!("invalid money {s:?}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_two_places() {
        assert_eq!(
            "1234567.8".parse::<Money>().unwrap().to_string(),
            "1234567.80"
        );
        assert_eq!("0".parse::<Money>().unwrap().to_string(), "0.00");
        assert_eq!("12.340".parse::<Money>().unwrap().to_string(), "12.34");
    }

    #[test]
    fn refuses_bad_amounts() {
        assert_eq!("1.234".parse::<Money>(), Err(MoneyError::TooPrecise));
        assert_eq!("-1".parse::<Money>(), Err(MoneyError::NotDecimal));
        assert_eq!("1e5".parse::<Money>(), Err(MoneyError::NotDecimal));
        assert_eq!("".parse::<Money>(), Err(MoneyError::NotDecimal));
        assert_eq!(
            "100000000000000000".parse::<Money>(),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn json_is_a_string() {
        let m: Money = serde_json::from_str("\"5.5\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"5.50\"");
        assert!(serde_json::from_str::<Money>("5.5").is_err());
    }
}
