//! The product form shared by the new and edit pages and the conflict page: the raw fields as
//! posted, checking them into a [`Checked`] product with an error next to each field (prices parsed
//! exactly, a negative margin only with its confirmation, the gallery's image ids), and what the
//! template shows.

use bigdecimal::BigDecimal;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::thorne::gallery;
use crate::thorne::money::{format_price, parse_price};
use crate::thorne::products::{NewProduct, Product, valid_sku};

/// The longest product name (characters).
pub const MAX_NAME_CHARS: usize = 300;
/// The longest category (characters).
pub const MAX_CATEGORY_CHARS: usize = 100;
/// The longest reason for a price change (characters).
pub const MAX_REASON_CHARS: usize = 500;

/// The fields as the browser sends them (the CSRF token is checked by the middleware).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProductForm {
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub wholesale_price: String,
    #[serde(default)]
    pub retail_price: String,
    /// Present (any value) when the box is ticked.
    pub in_stock: Option<String>,
    /// Present when the user accepts a retail price below the wholesale price.
    pub confirm_negative_margin: Option<String>,
    /// Why the prices change (edit form only; kept in the price history).
    #[serde(default)]
    pub reason: String,
    /// The version the edit form was loaded at.
    pub version: Option<String>,
    /// The gallery: image ids separated by spaces, the main image first. Absent: the gallery stays
    /// as it is.
    pub images: Option<String>,
    /// A gallery button (`main:{id}`, `up:{id}`, `down:{id}`, `remove:{id}`, `add:{id}`): the form
    /// comes back with the gallery rearranged, nothing saved.
    pub gallery: Option<String>,
}

impl ProductForm {
    /// The gallery button pressed, if any, as `(operation, image id)`; anything else is a 400.
    pub fn gallery_button(&self) -> AppResult<Option<(&str, Uuid)>> {
        let Some(button) = self.gallery.as_deref() else {
            return Ok(None);
        };
        let bad = || AppError::BadRequest("the gallery button is not valid".into());
        let (op, id) = button.split_once(':').ok_or_else(bad)?;
        if !["main", "up", "down", "remove", "add"].contains(&op) {
            return Err(bad());
        }
        let id = Uuid::try_parse(id).map_err(|_| bad())?;
        Ok(Some((op, id)))
    }
}

/// The image ids of a gallery field, each once (the first time it is listed).
pub fn gallery_ids(text: &str) -> Result<Vec<Uuid>, String> {
    let mut ids =
        gallery::parse_ids(text).map_err(|e| format!("The images are not valid: {e}."))?;
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    if ids.len() > gallery::MAX_IMAGES {
        return Err(format!(
            "Too many images: a gallery holds at most {}.",
            gallery::MAX_IMAGES
        ));
    }
    Ok(ids)
}

/// An error next to each field that has one.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub category: Option<String>,
    pub wholesale_price: Option<String>,
    pub retail_price: Option<String>,
    pub reason: Option<String>,
    /// The retail price is below the wholesale price and that was not confirmed.
    pub negative_margin: Option<String>,
    pub images: Option<String>,
}

impl FormErrors {
    pub fn any(&self) -> bool {
        self.sku.is_some()
            || self.name.is_some()
            || self.category.is_some()
            || self.wholesale_price.is_some()
            || self.retail_price.is_some()
            || self.reason.is_some()
            || self.negative_margin.is_some()
            || self.images.is_some()
    }

    /// The error of images the library does not have (or another check of the gallery).
    pub fn images(message: &str) -> FormErrors {
        FormErrors {
            images: Some(format!("The images cannot be saved: {message}.")),
            ..FormErrors::default()
        }
    }

    /// The error of a SKU another product of the customer has.
    pub fn sku_taken(sku: &str) -> FormErrors {
        FormErrors {
            sku: Some(format!(
                "The SKU “{sku}” is already used by another product (archived ones included)."
            )),
            ..FormErrors::default()
        }
    }
}

/// The form's fields, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub product: NewProduct,
    pub reason: String,
    /// The gallery, when the form carries one.
    pub images: Option<Vec<Uuid>>,
}

impl Checked {
    /// `current` with the checked fields.
    pub fn applied_to(&self, current: &Product) -> Product {
        let new = &self.product;
        Product {
            sku: new.sku.clone(),
            name: new.name.clone(),
            description: new.description.clone(),
            category: new.category.clone(),
            wholesale_price: new.wholesale_price.clone(),
            retail_price: new.retail_price.clone(),
            in_stock: new.in_stock,
            ..current.clone()
        }
    }
}

/// What the warning says about a retail price below the wholesale price.
pub fn negative_margin_warning(
    wholesale: &BigDecimal,
    retail: &BigDecimal,
    currency: &str,
) -> String {
    format!(
        "Negative margin: the retail price {} is below the wholesale price {} (a loss of {} on \
         each sale).",
        format_price(retail, currency),
        format_price(wholesale, currency),
        format_price(&(wholesale - retail), currency),
    )
}

fn required_text(text: &str, max: usize, what: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        Err(format!("Enter the {what}."))
    } else if text.chars().count() > max {
        Err(format!("The {what} is too long: at most {max} characters."))
    } else if text.chars().any(char::is_control) {
        Err(format!(
            "The {what} cannot contain line breaks or other control characters."
        ))
    } else {
        Ok(text.to_owned())
    }
}

fn price(text: &str, what: &str) -> Result<BigDecimal, String> {
    parse_price(text).map_err(|e| format!("The {what} is not valid: {e}."))
}

/// Checks the fields; prices are shown in `currency` in the negative-margin warning.
pub fn check(form: &ProductForm, currency: &str) -> Result<Checked, Box<FormErrors>> {
    let mut errors = FormErrors::default();
    let sku = form.sku.trim();
    if !valid_sku(sku) {
        errors.sku = Some(if sku.is_empty() {
            "Enter the SKU.".into()
        } else {
            "The SKU is not valid: 1–64 letters, digits, “-”, “_” or “.”.".into()
        });
    }
    let name = required_text(&form.name, MAX_NAME_CHARS, "name").map_err(|e| errors.name = Some(e));
    let category = required_text(&form.category, MAX_CATEGORY_CHARS, "category")
        .map_err(|e| errors.category = Some(e));
    let wholesale = price(&form.wholesale_price, "wholesale price")
        .map_err(|e| errors.wholesale_price = Some(e));
    let retail =
        price(&form.retail_price, "retail price").map_err(|e| errors.retail_price = Some(e));
    let reason = form.reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        errors.reason = Some(format!(
            "The reason is too long: at most {MAX_REASON_CHARS} characters."
        ));
    }
    if let (Ok(wholesale), Ok(retail)) = (&wholesale, &retail)
        && retail < wholesale
        && form.confirm_negative_margin.is_none()
    {
        errors.negative_margin = Some(negative_margin_warning(wholesale, retail, currency));
    }
    let images = match form.images.as_deref().map(gallery_ids) {
        None => None,
        Some(Ok(ids)) => Some(ids),
        Some(Err(error)) => {
            errors.images = Some(error);
            None
        }
    };
    match (name, category, wholesale, retail) {
        (Ok(name), Ok(category), Ok(wholesale_price), Ok(retail_price)) if !errors.any() => {
            Ok(Checked {
                product: NewProduct {
                    sku: sku.to_owned(),
                    name,
                    description: form.description.replace("\r\n", "\n").trim().to_owned(),
                    category,
                    wholesale_price,
                    retail_price,
                    in_stock: form.in_stock.is_some(),
                },
                reason: reason.to_owned(),
                images,
            })
        }
        _ => Err(Box::new(errors)),
    }
}

/// The values a form shows, with its errors.
#[derive(Debug, Clone)]
pub struct FormView {
    pub sku: String,
    pub name: String,
    pub description: String,
    pub category: String,
    pub wholesale_price: String,
    pub retail_price: String,
    pub in_stock: bool,
    pub confirm_negative_margin: bool,
    pub reason: String,
    /// The version the form was loaded at (edit forms only).
    pub version: Option<i32>,
    /// The gallery's image ids as the field shows them; `None` when a posted form had no gallery.
    pub images: Option<String>,
    pub errors: FormErrors,
}

impl Default for FormView {
    /// The empty form of a new product (in stock).
    fn default() -> FormView {
        FormView {
            sku: String::new(),
            name: String::new(),
            description: String::new(),
            category: String::new(),
            wholesale_price: String::new(),
            retail_price: String::new(),
            in_stock: true,
            confirm_negative_margin: false,
            reason: String::new(),
            version: None,
            images: Some(String::new()),
            errors: FormErrors::default(),
        }
    }
}

impl FormView {
    /// The fields of a stored product with its gallery.
    pub fn of_product(product: &Product, images: &[Uuid]) -> FormView {
        FormView {
            sku: product.sku.clone(),
            name: product.name.clone(),
            description: product.description.clone(),
            category: product.category.clone(),
            wholesale_price: product.wholesale_price.to_string(),
            retail_price: product.retail_price.to_string(),
            in_stock: product.in_stock,
            confirm_negative_margin: false,
            reason: String::new(),
            version: Some(product.version),
            images: Some(gallery::format_ids(images)),
            errors: FormErrors::default(),
        }
    }

    /// The fields as typed, shown again with errors.
    pub fn of_form(form: &ProductForm, version: Option<i32>, errors: FormErrors) -> FormView {
        FormView {
            sku: form.sku.clone(),
            name: form.name.clone(),
            description: form.description.clone(),
            category: form.category.clone(),
            wholesale_price: form.wholesale_price.clone(),
            retail_price: form.retail_price.clone(),
            in_stock: form.in_stock.is_some(),
            confirm_negative_margin: form.confirm_negative_margin.is_some(),
            reason: form.reason.clone(),
            version,
            images: form.images.clone(),
            errors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(wholesale: &str, retail: &str) -> ProductForm {
        ProductForm {
            sku: "VIT-D3".into(),
            name: " Vitamin D3 ".into(),
            category: "Vitamins".into(),
            wholesale_price: wholesale.into(),
            retail_price: retail.into(),
            in_stock: Some("on".into()),
            ..ProductForm::default()
        }
    }

    #[test]
    fn good_fields_are_checked_exactly() {
        let checked = check(&form("12", " 12.50 "), "USD").unwrap();
        assert_eq!(checked.product.name, "Vitamin D3");
        assert_eq!(checked.product.wholesale_price.to_string(), "12.00");
        assert_eq!(checked.product.retail_price.to_string(), "12.50");
        assert!(checked.product.in_stock);
    }

    #[test]
    fn each_bad_field_gets_its_own_error() {
        let bad = ProductForm {
            sku: "no spaces".into(),
            name: "x".repeat(301),
            description: "Two\nlines are fine here.".into(),
            category: String::new(),
            wholesale_price: "12,50".into(),
            retail_price: "1e3".into(),
            reason: "r".repeat(501),
            ..ProductForm::default()
        };
        let errors = check(&bad, "USD").unwrap_err();
        assert!(errors.sku.is_some() && errors.name.is_some() && errors.category.is_some());
        assert!(errors.wholesale_price.is_some() && errors.retail_price.is_some());
        assert!(errors.reason.is_some());
        assert!(errors.negative_margin.is_none());
    }

    #[test]
    fn names_and_categories_are_one_line() {
        let bad = ProductForm {
            name: "Vitamin\nD3".into(),
            category: "Vita\tmins".into(),
            ..form("1", "2")
        };
        let errors = check(&bad, "USD").unwrap_err();
        assert!(errors.name.is_some() && errors.category.is_some());
    }

    #[test]
    fn a_negative_margin_needs_confirmation() {
        let errors = check(&form("20", "15"), "EUR").unwrap_err();
        assert_eq!(
            errors.negative_margin.as_deref(),
            Some(
                "Negative margin: the retail price €15.00 is below the wholesale price €20.00 \
                 (a loss of €5.00 on each sale)."
            )
        );
        let confirmed = ProductForm {
            confirm_negative_margin: Some("on".into()),
            ..form("20", "15")
        };
        assert!(check(&confirmed, "EUR").is_ok());
    }

    #[test]
    fn the_gallery_field_is_read_once_per_image() {
        let [a, b] = [1, 2].map(Uuid::from_u128);
        let with = ProductForm {
            images: Some(format!("{a} {b} media:{a}")),
            ..form("1", "2")
        };
        assert_eq!(check(&with, "USD").unwrap().images, Some(vec![a, b]));
        assert_eq!(check(&form("1", "2"), "USD").unwrap().images, None);
        let bad = ProductForm {
            images: Some("cat.jpg".into()),
            ..form("1", "2")
        };
        let errors = check(&bad, "USD").unwrap_err();
        assert!(
            errors
                .images
                .unwrap()
                .contains("“cat.jpg” is not an image id")
        );
    }

    #[test]
    fn gallery_buttons_name_an_operation_and_an_image() {
        let id = Uuid::from_u128(7);
        let pressed = |value: &str| ProductForm {
            gallery: Some(value.to_owned()),
            ..ProductForm::default()
        };
        assert_eq!(
            pressed(&format!("up:{id}")).gallery_button().unwrap(),
            Some(("up", id))
        );
        assert!(ProductForm::default().gallery_button().unwrap().is_none());
        for bad in ["up", "jump:{id}", "up:not-an-id"] {
            assert!(pressed(bad).gallery_button().is_err(), "{bad}");
        }
    }
}
