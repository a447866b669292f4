//! The rules every free text a client sends obeys (post bodies, `about_me`;
//! passwords follow the first and the last), so that no text can hide, fake
//! or garble what other users see:
//!
//! 1. **No control characters** (C0, DEL, C1: NUL, escape sequences, a
//!    carriage return...), newline excepted where text may span lines, and
//!    no Unicode line or paragraph separator (U+2028, U+2029): `\n` is the
//!    one line break.
//! 2. **No bidirectional formatting** (free text): the embeddings,
//!    overrides and isolates (U+202A–U+202E, U+2066–U+2069), which reorder
//!    the text around them ("Trojan Source"), and the implicit marks (LRM,
//!    RLM, ALM: U+200E, U+200F, U+061C), which are invisible and reorder
//!    neutral characters (digits, punctuation, a link's dots). Right-to-left
//!    scripts display correctly without them.
//! 3. **No other invisible format character** (free text; Unicode category
//!    Cf: zero-width space U+200B, word joiner U+2060, U+FEFF, soft hyphen,
//!    invisible operators...), but for the zero-width joiner and non-joiner
//!    (U+200D, U+200C), which emoji sequences and Persian and Indic scripts
//!    need, and tag characters (U+E0020–U+E007F) only as an emoji tag
//!    sequence: after U+1F3F4 (a black flag), 1 to 7 tag digits or
//!    lower-case letters (a subdivision code) closed by U+E007F, as the
//!    flags of England, Scotland and Wales are written: no room for a
//!    hidden message of tag characters. No code point Unicode assigns no
//!    character to (noncharacters included), which nothing can draw.
//! 4. **At most [`MAX_MARKS_IN_A_ROW`] combining marks in a row** (free
//!    text; a zero-width joiner does not break the row): enough for any
//!    script's stacked diacritics, not for a letter under hundreds of marks
//!    that spills over the lines around it.
//! 5. **At least one visible character** where text is required (a post
//!    body, a non-empty `about_me`, a password): one that is not white
//!    space, a format character, a combining mark, nor one of the letters
//!    that draw nothing (the Hangul fillers, the blank Braille pattern). A
//!    post body is stored trimmed of white space and of what draws nothing
//!    at its ends (combining marks only at its start, where they mark
//!    nothing), so what remains is empty or starts with a visible
//!    character.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::errors::ValidationError;

/// Combining marks accepted in a row after one character.
pub const MAX_MARKS_IN_A_ROW: usize = 8;

/// Whether a text field may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    /// One line: no newline either.
    One,
    /// Several lines: newline (`\n`) is the one control character allowed.
    Many,
}

/// The bidirectional formatting characters: explicit embeddings,
/// overrides and isolates, and the implicit marks.
fn is_bidi_format(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

fn is_tag(c: char) -> bool {
    ('\u{E0020}'..='\u{E007F}').contains(&c)
}

/// Letters (category Lo) that draw nothing: the Hangul fillers and the
/// blank Braille pattern, known for making names and posts look empty.
pub(crate) fn draws_nothing(c: char) -> bool {
    matches!(
        c,
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}'
    )
}

pub(crate) fn is_mark(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::EnclosingMark
    )
}

fn is_format(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
}

/// Code points Unicode assigns no character to (noncharacters included):
/// nothing can draw them, and some are default-ignorable, never shown.
fn is_unassigned(c: char) -> bool {
    c.general_category() == GeneralCategory::Unassigned
}

/// The zero-width joiner and non-joiner, the format characters text keeps.
pub(crate) fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// Whether free text may not hold `c` anywhere (rules 1 to 3, but for the
/// tag characters, which may stand in a flag sequence): what the OpenAPI
/// patterns exclude.
pub(crate) fn is_forbidden_in_free_text(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{2028}' | '\u{2029}')
        || is_bidi_format(c)
        || (is_format(c) && !is_joiner(c) && !is_tag(c))
        || is_unassigned(c)
}

/// What a post body is trimmed of at its start: white space and what
/// draws nothing there (combining marks, joiners, the empty letters).
pub(crate) fn trimmed_at_start(c: char) -> bool {
    c.is_whitespace() || is_mark(c) || is_joiner(c) || draws_nothing(c)
}

/// What a post body is trimmed of at its end: white space, joiners and the
/// empty letters (a mark there marks the last character, and a tag closes
/// a flag).
pub(crate) fn trimmed_at_end(c: char) -> bool {
    c.is_whitespace() || is_joiner(c) || draws_nothing(c)
}

/// Whether `c` shows as something on screen (rule 5).
pub(crate) fn is_visible(c: char) -> bool {
    !(c.is_whitespace()
        || c.is_control()
        || is_format(c)
        || is_mark(c)
        || draws_nothing(c)
        || is_unassigned(c))
}

/// Whether `text` has at least one visible character (rule 5).
pub(crate) fn has_visible(text: &str) -> bool {
    text.chars().any(is_visible)
}

/// Checks rule 1 and, for free text, rules 2 to 4 (see the module).
pub(crate) fn check_text(
    field: &'static str,
    raw: &str,
    lines: Lines,
) -> Result<(), ValidationError> {
    check_controls(field, raw, lines)?;
    if raw.chars().any(is_bidi_format) {
        return Err(ValidationError::invalid(
            field,
            "may not contain Unicode bidirectional formatting (overrides, embeddings, isolates or marks)",
        ));
    }
    check_format_and_marks(field, raw)
}

/// Whether a password may not hold `c`: rule 1, and the explicit bidi
/// formatting (a password is compared, never shown, but typed on screens).
pub(crate) fn is_forbidden_in_password(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}')
        || (is_bidi_format(c) && !matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}'))
}

/// Checks what a password obeys ([`is_forbidden_in_password`]).
pub(crate) fn check_secret(field: &'static str, raw: &str) -> Result<(), ValidationError> {
    check_controls(field, raw, Lines::One)?;
    if raw.chars().any(is_forbidden_in_password) {
        return Err(ValidationError::invalid(
            field,
            "may not contain Unicode bidirectional overrides, embeddings or isolates",
        ));
    }
    Ok(())
}

fn check_controls(field: &'static str, raw: &str, lines: Lines) -> Result<(), ValidationError> {
    let control = |c: char| c.is_control() && !(c == '\n' && lines == Lines::Many);
    if raw.chars().any(control) {
        return Err(ValidationError::invalid(
            field,
            match lines {
                Lines::One => "may not contain control characters",
                Lines::Many => "may not contain control characters other than newline",
            },
        ));
    }
    if raw.contains(['\u{2028}', '\u{2029}']) {
        return Err(ValidationError::invalid(
            field,
            "may not contain Unicode line or paragraph separators (U+2028, U+2029); use a newline",
        ));
    }
    Ok(())
}

fn check_format_and_marks(field: &'static str, raw: &str) -> Result<(), ValidationError> {
    let mut marks = 0;
    // Tag characters read since U+1F3F4 opened a flag sequence.
    let mut tags: Option<usize> = None;
    let mut previous = None;
    for c in raw.chars() {
        if is_tag(c) {
            let opens = previous == Some('\u{1F3F4}');
            let spec = matches!(c, '\u{E0030}'..='\u{E0039}' | '\u{E0061}'..='\u{E007A}');
            tags = match (tags, c) {
                (Some(n), '\u{E007F}') if n >= 1 => None,
                (Some(n), _) if spec && n < MAX_TAG_SPEC => Some(n + 1),
                (None, _) if spec && opens => Some(1),
                _ => {
                    return Err(ValidationError::invalid(
                        field,
                        "may not contain Unicode tag characters outside an emoji flag sequence",
                    ))
                }
            };
        } else if tags.is_some() {
            return Err(ValidationError::invalid(
                field,
                "has an emoji flag sequence that is not closed by U+E007F",
            ));
        } else if is_format(c) && !is_joiner(c) {
            return Err(ValidationError::invalid(
                field,
                "may not contain invisible formatting characters (such as U+200B, U+2060 or U+FEFF)",
            ));
        } else if is_unassigned(c) {
            return Err(ValidationError::invalid(
                field,
                "may not contain code points Unicode assigns no character to",
            ));
        }
        // A joiner does not end a run of marks: it glues what follows to
        // the same character.
        if is_mark(c) {
            marks += 1;
        } else if !is_joiner(c) {
            marks = 0;
        }
        if marks > MAX_MARKS_IN_A_ROW {
            return Err(ValidationError::invalid(
                field,
                "may not stack more than 8 combining marks on one character",
            ));
        }
        previous = Some(c);
    }
    if tags.is_some() {
        return Err(ValidationError::invalid(
            field,
            "has an emoji flag sequence that is not closed by U+E007F",
        ));
    }
    Ok(())
}

/// Tag letters and digits a flag sequence holds at most: a region and a
/// subdivision code (`gbsct` for Scotland), no room for a hidden message.
const MAX_TAG_SPEC: usize = 7;

#[cfg(test)]
mod tests {
    use super::*;

    fn free(text: &str) -> Result<(), String> {
        check_text("body", text, Lines::Many).map_err(|e| e.to_string())
    }

    #[test]
    fn control_characters_and_line_separators_are_refused_but_newline_where_lines_are() {
        for bad in [
            "a\u{0}b",
            "esc\u{1b}[31m",
            "tab\there",
            "cr\rhere",
            "c1\u{85}",
            "del\u{7f}",
        ] {
            assert!(free(bad)
                .unwrap_err()
                .contains("control characters other than newline"));
            assert!(check_text("name", bad, Lines::One).is_err());
        }
        for separator in ["a\u{2028}b", "a\u{2029}b"] {
            assert!(
                free(separator).unwrap_err().contains("use a newline"),
                "{separator:?}"
            );
        }
        assert!(free("line one\nline two").is_ok());
        assert!(check_text("name", "two\nlines", Lines::One).is_err());
    }

    #[test]
    fn every_bidirectional_formatting_character_is_refused_in_free_text() {
        for bidi in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            let err = free(&format!("admin{bidi}txt.exe")).unwrap_err();
            assert!(err.contains("bidirectional formatting"), "{bidi:?}: {err}");
        }
        // Right-to-left scripts themselves are text like any other.
        assert!(free("שלום עולם").is_ok());
        assert!(free("مرحبا بالعالم").is_ok());
    }

    #[test]
    fn invisible_format_characters_are_refused_but_the_joiners_emoji_and_scripts_need() {
        for hidden in [
            '\u{200B}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{2062}',
            '\u{E0001}',
        ] {
            assert!(free(&format!("a{hidden}b")).is_err(), "{hidden:?}");
        }
        // A family emoji (ZWJ sequence) and Persian with a ZWNJ.
        assert!(free("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}").is_ok());
        assert!(free("می\u{200C}خواهم").is_ok());
    }

    #[test]
    fn tag_characters_pass_only_as_an_emoji_flag_sequence() {
        let scotland = "\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}";
        assert!(free(&format!("go {scotland}!")).is_ok());
        for bad in [
            "hidden\u{E0068}\u{E0069}".to_string(),
            "\u{1F3F4}\u{E0067}\u{E0062}".to_string(),
            "\u{1F3F4}\u{E007F}".to_string(),
            format!("{scotland}\u{E0067}"),
            // A hidden message: upper-case tags, or too many of them.
            "\u{1F3F4}\u{E0048}\u{E0049}\u{E007F}".to_string(),
            format!("\u{1F3F4}{}\u{E007F}", "\u{E0061}".repeat(8)),
        ] {
            assert!(free(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_character_takes_at_most_eight_combining_marks() {
        let vietnamese = "Tiếng Việt có dấu";
        assert!(free(vietnamese).is_ok());
        assert!(free(&format!("a{}", "\u{0301}".repeat(8))).is_ok());
        let zalgo = format!("a{}", "\u{0301}".repeat(279));
        assert!(free(&zalgo).unwrap_err().contains("combining marks"));
        let joined = format!(
            "a{}",
            format!("{}\u{200D}", "\u{0301}".repeat(8)).repeat(31)
        );
        assert!(free(&joined).unwrap_err().contains("combining marks"));
    }

    #[test]
    fn visible_means_something_that_draws() {
        for invisible in [
            "",
            "   ",
            "\u{200B}\u{200B}",
            "\u{200D}\u{200C}",
            "\u{0301}\u{0301}",
            "\u{3164}\u{3164}",
            "\u{2800}",
            "\u{3000}\n\u{00A0}",
            "\u{2065}",
            "\u{FFFF}",
        ] {
            assert!(!has_visible(invisible), "{invisible:?}");
        }
        for visible in ["a", " . ", "\u{1F600}", "é", "中"] {
            assert!(has_visible(visible), "{visible:?}");
        }
    }
}
