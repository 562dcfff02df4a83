//! The functions the language knows, by name. Their signatures are checked in `check`, their semantics in
//! `eval`, their SQL in the store.

/// A function of the formula language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Func {
    If,
    Case,
    And,
    Or,
    Not,
    IsBlank,
    IsNull,
    BlankValue,
    NullValue,
    IsPickval,
    Text,
    Value,
    Len,
    Left,
    Right,
    Mid,
    Upper,
    Lower,
    Trim,
    Contains,
    Begins,
    Find,
    Substitute,
    Regex,
    IsNumber,
    Includes,
    Date,
    DateValue,
    DateTimeValue,
    Today,
    Now,
    Year,
    Month,
    Day,
    AddMonths,
    Abs,
    Round,
    Floor,
    Ceiling,
    Mod,
    Max,
    Min,
    IsNew,
    IsChanged,
    PriorValue,
}

impl Func {
    /// Every function with its name as Salesforce spells it.
    pub const ALL: [(Func, &'static str); 45] = [
        (Func::If, "IF"),
        (Func::Case, "CASE"),
        (Func::And, "AND"),
        (Func::Or, "OR"),
        (Func::Not, "NOT"),
        (Func::IsBlank, "ISBLANK"),
        (Func::IsNull, "ISNULL"),
        (Func::BlankValue, "BLANKVALUE"),
        (Func::NullValue, "NULLVALUE"),
        (Func::IsPickval, "ISPICKVAL"),
        (Func::Text, "TEXT"),
        (Func::Value, "VALUE"),
        (Func::Len, "LEN"),
        (Func::Left, "LEFT"),
        (Func::Right, "RIGHT"),
        (Func::Mid, "MID"),
        (Func::Upper, "UPPER"),
        (Func::Lower, "LOWER"),
        (Func::Trim, "TRIM"),
        (Func::Contains, "CONTAINS"),
        (Func::Begins, "BEGINS"),
        (Func::Find, "FIND"),
        (Func::Substitute, "SUBSTITUTE"),
        (Func::Regex, "REGEX"),
        (Func::IsNumber, "ISNUMBER"),
        (Func::Includes, "INCLUDES"),
        (Func::Date, "DATE"),
        (Func::DateValue, "DATEVALUE"),
        (Func::DateTimeValue, "DATETIMEVALUE"),
        (Func::Today, "TODAY"),
        (Func::Now, "NOW"),
        (Func::Year, "YEAR"),
        (Func::Month, "MONTH"),
        (Func::Day, "DAY"),
        (Func::AddMonths, "ADDMONTHS"),
        (Func::Abs, "ABS"),
        (Func::Round, "ROUND"),
        (Func::Floor, "FLOOR"),
        (Func::Ceiling, "CEILING"),
        (Func::Mod, "MOD"),
        (Func::Max, "MAX"),
        (Func::Min, "MIN"),
        (Func::IsNew, "ISNEW"),
        (Func::IsChanged, "ISCHANGED"),
        (Func::PriorValue, "PRIORVALUE"),
    ];

    /// The function called `name`, matched without case.
    pub fn by_name(name: &str) -> Option<Func> {
        Func::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(f, _)| *f)
    }

    /// The name as Salesforce spells it (`ISPICKVAL`).
    pub fn name(self) -> &'static str {
        Func::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("", |(_, n)| n)
    }
}
