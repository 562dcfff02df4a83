//! Date functions (`CALENDAR_MONTH`, `FISCAL_YEAR`, `DAY_ONLY`, …) over dates and dateTimes held as ISO
//! text: the dialect extracts the parts, the arithmetic on them is shared.

use super::DatePart;
use super::select::Renderer;
use bulkforce_soql::bound::{DateFunction, FieldPath};

impl Renderer<'_> {
    pub(super) fn date_function(&mut self, function: DateFunction, path: &FieldPath) -> String {
        let col = self.column(path);
        let part = |p: DatePart| self.dialect.date_part(p, &col);
        let month = part(DatePart::Month);
        let start = i64::from(self.options.fiscal_year_start_month.clamp(1, 12));
        let fiscal_month = format!("((({month}) - {start} + 12) % 12 + 1)");
        match function {
            DateFunction::CalendarMonth => month,
            DateFunction::CalendarQuarter => format!("((({month}) + 2) / 3)"),
            DateFunction::CalendarYear => part(DatePart::Year),
            DateFunction::DayInMonth => part(DatePart::DayOfMonth),
            DateFunction::DayInWeek => format!("({} + 1)", part(DatePart::DayOfWeek)),
            DateFunction::DayInYear => part(DatePart::DayOfYear),
            DateFunction::DayOnly => self.dialect.date_only(&col),
            DateFunction::FiscalMonth => fiscal_month,
            DateFunction::FiscalQuarter => format!("(({fiscal_month} + 2) / 3)"),
            // Salesforce names a fiscal year after the calendar year in which it ends.
            DateFunction::FiscalYear if start == 1 => part(DatePart::Year),
            DateFunction::FiscalYear => format!(
                "({} + CASE WHEN ({month}) >= {start} THEN 1 ELSE 0 END)",
                part(DatePart::Year)
            ),
            DateFunction::HourInDay => part(DatePart::Hour),
            DateFunction::WeekInMonth => {
                format!("((({}) - 1) / 7 + 1)", part(DatePart::DayOfMonth))
            }
            DateFunction::WeekInYear => format!("((({}) - 1) / 7 + 1)", part(DatePart::DayOfYear)),
        }
    }
}
