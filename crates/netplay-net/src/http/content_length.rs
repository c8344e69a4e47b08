//! The `Content-Length` rule of RFC 9112 §6.3, for the responses `fetch`
//! reads and the requests the test server (`--mode http`) answers: one
//! reading, so that the two sides cannot disagree on where a message ends
//! (the disagreement request smuggling lives on).

/// Why a message's `Content-Length` cannot frame it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LengthError {
    /// A value that is not plain digits (`+5`, `-1`, `5x`, empty): these
    /// raw bytes.
    Invalid(Vec<u8>),
    /// Values that differ.
    Conflict(Vec<u64>),
}

/// The length that every `Content-Length` field value (`raw`, each possibly
/// a comma-separated list) agrees on, with how many values said it; `None`
/// without any field.
pub fn agreed<'a>(
    raw: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Option<(u64, usize)>, LengthError> {
    let mut values = Vec::new();
    for field in raw {
        for part in field.split(|b| *b == b',') {
            // Only SP and HTAB around a value (RFC 9110 OWS): a no-break
            // space or another Unicode space is not whitespace here.
            let value =
                part.iter()
                    .position(|b| !matches!(b, b' ' | b'\t'))
                    .map_or(&part[..0], |start| {
                        let end = part
                            .iter()
                            .rposition(|b| !matches!(b, b' ' | b'\t'))
                            .unwrap_or(start);
                        &part[start..=end]
                    });
            let digits = !value.is_empty() && value.iter().all(u8::is_ascii_digit);
            match std::str::from_utf8(value)
                .ok()
                .and_then(|text| text.parse::<u64>().ok())
            {
                Some(n) if digits => values.push(n),
                _ => return Err(LengthError::Invalid(part.to_vec())),
            }
        }
    }
    let Some(&first) = values.first() else {
        return Ok(None);
    };
    if values.iter().any(|v| *v != first) {
        return Err(LengthError::Conflict(values));
    }
    Ok(Some((first, values.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_or_the_same_value_repeated_frames_the_message() {
        assert_eq!(agreed([b"5".as_slice()]), Ok(Some((5, 1))));
        assert_eq!(
            agreed([b" 5 ".as_slice(), b"5, 5".as_slice()]),
            Ok(Some((5, 3)))
        );
        assert_eq!(agreed(std::iter::empty()), Ok(None));
    }

    #[test]
    fn signs_junk_and_conflicts_are_refused() {
        for bad in [
            b"+5".as_slice(),
            b"-5",
            b"5x",
            b"",
            b"0x5",
            b"99999999999999999999999",
        ] {
            assert!(
                matches!(agreed([bad]), Err(LengthError::Invalid(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            agreed([b"5".as_slice(), b"6".as_slice()]),
            Err(LengthError::Conflict(vec![5, 6]))
        );
    }
}
