//! The bulk change form shared by the form, preview and conflict pages: the raw fields as posted,
//! checking them into a [`BulkChange`] with an error next to each field, and the choices the
//! template shows.

use serde::Deserialize;

use crate::input::{self, Shape};
use crate::thorne::bulk::{self, BulkChange, Operation, Rounding, Selection, Target};
use crate::thorne::money;
use crate::web::admin::products::{Choice, choices};

/// The longest change set name.
const MAX_NAME_CHARS: usize = 200;
/// The longest reason.
const MAX_REASON_CHARS: usize = 1_000;
/// The longest search text.
const MAX_SEARCH_CHARS: usize = 200;

/// The fields as the browser sends them (the CSRF token is checked by the middleware).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BulkForm {
    /// `category`, `search` or `skus`.
    #[serde(default)]
    pub selection: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub search: String,
    /// SKUs separated by spaces, commas or lines.
    #[serde(default)]
    pub skus: String,
    /// `raise`, `lower`, `add`, `subtract`, `set` or `markup`.
    #[serde(default)]
    pub operation: String,
    /// The percent, amount or factor of the operation.
    #[serde(default)]
    pub amount: String,
    /// `retail`, `wholesale` or `both`.
    #[serde(default)]
    pub target: String,
    /// `cent`, `99` or `95`.
    #[serde(default)]
    pub rounding: String,
    /// The name of the change set.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub reason: String,
    /// What the preview showed (apply only).
    #[serde(default)]
    pub fingerprint: String,
    /// Present when negative margins were confirmed (apply only).
    #[serde(default)]
    pub confirm_negative: String,
}

impl BulkForm {
    /// The values the empty form starts with.
    pub fn initial() -> BulkForm {
        BulkForm {
            selection: "category".into(),
            operation: "raise".into(),
            target: "retail".into(),
            rounding: "cent".into(),
            ..BulkForm::default()
        }
    }

    pub fn negative_confirmed(&self) -> bool {
        !self.confirm_negative.trim().is_empty()
    }
}

/// An error next to each field that has one.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    pub selection: Option<String>,
    pub operation: Option<String>,
    pub amount: Option<String>,
    pub target: Option<String>,
    pub rounding: Option<String>,
    pub name: Option<String>,
    pub reason: Option<String>,
}

impl FormErrors {
    pub fn any(&self) -> bool {
        self.selection.is_some()
            || self.operation.is_some()
            || self.amount.is_some()
            || self.target.is_some()
            || self.rounding.is_some()
            || self.name.is_some()
            || self.reason.is_some()
    }
}

/// The form's fields, checked.
#[derive(Debug, Clone)]
pub struct Checked {
    pub change: BulkChange,
    pub name: String,
    pub reason: String,
}

fn selection(form: &BulkForm) -> Result<Selection, String> {
    match form.selection.as_str() {
        "category" => match form.category.trim() {
            "" => Err("Choose a category.".into()),
            category => Ok(Selection::Category(category.to_owned())),
        },
        "search" => match form.search.trim() {
            "" => Err("Enter part of a name or SKU to search for.".into()),
            search if search.chars().count() > MAX_SEARCH_CHARS => Err(format!(
                "The search is too long: at most {MAX_SEARCH_CHARS} characters."
            )),
            search => Ok(Selection::Search(search.to_owned())),
        },
        "skus" => {
            let skus = bulk::split_skus(&form.skus);
            if skus.is_empty() {
                Err("Enter at least one SKU.".into())
            } else if skus.len() > bulk::MAX_SKUS {
                Err(format!("At most {} SKUs at once.", bulk::MAX_SKUS))
            } else {
                Ok(Selection::Skus(skus))
            }
        }
        _ => Err("Choose how to select products: by category, by search or by SKUs.".into()),
    }
}

/// The operation, or which field (`operation` or `amount`) has which error.
fn operation(form: &BulkForm) -> Result<Operation, (bool, String)> {
    let percent = |text: &str| {
        bulk::parse_percent(text).map_err(|e| (false, format!("The percent is not valid: {e}.")))
    };
    let amount = |text: &str| {
        money::parse_price(text).map_err(|e| (false, format!("The amount is not valid: {e}.")))
    };
    match form.operation.as_str() {
        "raise" => percent(&form.amount).map(Operation::Raise),
        "lower" => {
            let value = percent(&form.amount)?;
            if value > 100 {
                return Err((false, "A price can be lowered by at most 100%.".into()));
            }
            Ok(Operation::Lower(value))
        }
        "add" => amount(&form.amount).map(Operation::Add),
        "subtract" => amount(&form.amount).map(Operation::Subtract),
        "set" => amount(&form.amount).map(Operation::Set),
        "markup" => bulk::parse_factor(&form.amount)
            .map(Operation::Markup)
            .map_err(|e| (false, format!("The markup factor is not valid: {e}."))),
        _ => Err((
            true,
            "Choose an operation: raise, lower, add, subtract, set or markup.".into(),
        )),
    }
}

fn target(form: &BulkForm) -> Result<Target, String> {
    let target = match form.target.as_str() {
        "retail" => Target::Retail,
        "wholesale" => Target::Wholesale,
        "both" => Target::Both,
        _ => return Err("Choose which prices change: retail, wholesale or both.".into()),
    };
    if form.operation == "markup" && target != Target::Retail {
        return Err("A markup sets retail prices only (retail = wholesale × factor).".into());
    }
    Ok(target)
}

fn rounding(form: &BulkForm) -> Result<Rounding, String> {
    match form.rounding.as_str() {
        "cent" => Ok(Rounding::Cent),
        "99" => Ok(Rounding::End99),
        "95" => Ok(Rounding::End95),
        _ => Err("Choose a rounding: to the cent, to .99 or to .95.".into()),
    }
}

/// Checks every field; all errors at once.
pub fn check(form: &BulkForm) -> Result<Checked, Box<FormErrors>> {
    let mut errors = FormErrors::default();
    let selection = selection(form).map_err(|e| errors.selection = Some(e)).ok();
    let operation = operation(form)
        .map_err(|(on_operation, e)| {
            if on_operation {
                errors.operation = Some(e)
            } else {
                errors.amount = Some(e)
            }
        })
        .ok();
    let target = target(form).map_err(|e| errors.target = Some(e)).ok();
    let rounding = rounding(form).map_err(|e| errors.rounding = Some(e)).ok();
    let name = form.name.trim();
    if name.is_empty() {
        errors.name = Some("Enter a name for the change set, e.g. “Spring prices”.".into());
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.name = Some(format!(
            "The name is too long: at most {MAX_NAME_CHARS} characters."
        ));
    } else if input::check(name, Shape::Line).is_err() {
        errors.name =
            Some("The name cannot contain line breaks or other control characters.".into());
    }
    let reason = form.reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        errors.reason = Some(format!(
            "The reason is too long: at most {MAX_REASON_CHARS} characters."
        ));
    }
    match (selection, operation, target, rounding) {
        (Some(selection), Some(operation), Some(target), Some(rounding)) if !errors.any() => {
            Ok(Checked {
                change: BulkChange {
                    selection,
                    operation,
                    target,
                    rounding,
                },
                name: name.to_owned(),
                reason: reason.to_owned(),
            })
        }
        _ => Err(Box::new(errors)),
    }
}

/// The values a form shows, with its errors and choices.
#[derive(Debug, Clone)]
pub struct FormView {
    pub form: BulkForm,
    pub errors: FormErrors,
    pub selections: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub operations: Vec<Choice>,
    pub targets: Vec<Choice>,
    pub roundings: Vec<Choice>,
}

impl FormView {
    /// The form with `errors`; `categories` are the customer's categories.
    pub fn of(form: &BulkForm, errors: FormErrors, categories: &[String]) -> FormView {
        let category_options: Vec<(&str, &str)> = categories
            .iter()
            .map(|c| (c.as_str(), c.as_str()))
            .collect();
        FormView {
            selections: choices(
                &[
                    ("category", "Category"),
                    ("search", "Name or SKU contains"),
                    ("skus", "SKU list"),
                ],
                &form.selection,
            ),
            categories: choices(&category_options, form.category.trim()),
            operations: choices(
                &[
                    ("raise", "Raise by percent"),
                    ("lower", "Lower by percent"),
                    ("add", "Add an amount"),
                    ("subtract", "Subtract an amount"),
                    ("set", "Set to an amount"),
                    ("markup", "Retail = wholesale × markup"),
                ],
                &form.operation,
            ),
            targets: choices(
                &[
                    ("retail", "Retail price"),
                    ("wholesale", "Wholesale price"),
                    ("both", "Both prices"),
                ],
                &form.target,
            ),
            roundings: choices(
                &[
                    ("cent", "To the cent (half up)"),
                    ("99", "To the nearest .99"),
                    ("95", "To the nearest .95"),
                ],
                &form.rounding,
            ),
            form: form.clone(),
            errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(operation: &str, amount: &str, target: &str) -> BulkForm {
        BulkForm {
            selection: "skus".into(),
            skus: "A-1".into(),
            operation: operation.into(),
            amount: amount.into(),
            target: target.into(),
            rounding: "cent".into(),
            name: "Spring".into(),
            ..BulkForm::default()
        }
    }

    #[test]
    fn a_complete_form_checks() {
        let checked = check(&form("lower", "2.5%", "both")).unwrap();
        assert_eq!(
            checked.change.operation,
            Operation::Lower("2.5".parse().unwrap())
        );
        assert_eq!(checked.change.target, Target::Both);
        assert_eq!(checked.name, "Spring");
    }

    #[test]
    fn each_bad_field_gets_its_error() {
        let errors = check(&BulkForm::default()).unwrap_err();
        assert!(errors.selection.is_some());
        assert!(errors.operation.is_some());
        assert!(errors.target.is_some());
        assert!(errors.rounding.is_some());
        assert!(errors.name.is_some());
        assert!(
            check(&form("raise", "1e3", "retail"))
                .unwrap_err()
                .amount
                .is_some()
        );
        assert!(
            check(&form("lower", "101", "retail"))
                .unwrap_err()
                .amount
                .is_some()
        );
        assert!(
            check(&form("add", "1.005", "retail"))
                .unwrap_err()
                .amount
                .is_some()
        );
        assert!(
            check(&form("markup", "1.8", "both"))
                .unwrap_err()
                .target
                .is_some()
        );
        assert!(
            check(&form("markup", "-5", "retail"))
                .unwrap_err()
                .amount
                .is_some()
        );
    }
}
