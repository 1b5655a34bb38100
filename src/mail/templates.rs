//! The mails the product sends, each rendered from two askama templates under `templates/mail/`:
//! `<name>.txt` (plain text, not escaped) and `<name>.html` (escaped, in `mail/base.html`).

use askama::Template;

use super::outbox::NewMail;
use crate::error::{AppError, AppResult};

/// An invitation to become a user of a customer's admin.
pub struct Invitation<'a> {
    pub site_name: &'a str,
    /// Who invited (their e-mail).
    pub inviter: &'a str,
    pub role: &'a str,
    /// The absolute address of the invitation's page.
    pub link: &'a str,
    pub valid_hours: i64,
}

/// A link to choose a new password.
pub struct PasswordReset<'a> {
    pub site_name: &'a str,
    /// The absolute address of the reset page.
    pub link: &'a str,
    /// The absolute address of the page to ask for another link.
    pub again: &'a str,
    pub valid_hours: i64,
}

#[derive(Template)]
#[template(path = "mail/invitation.txt")]
struct InvitationText<'a> {
    m: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "mail/invitation.html")]
struct InvitationHtml<'a> {
    m: &'a Invitation<'a>,
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct PasswordResetText<'a> {
    m: &'a PasswordReset<'a>,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct PasswordResetHtml<'a> {
    m: &'a PasswordReset<'a>,
}

fn render(template: &impl Template) -> AppResult<String> {
    template
        .render()
        .map_err(|e| AppError::Internal(format!("cannot render a mail: {e}")))
}

impl Invitation<'_> {
    /// The mail to `to`.
    pub fn mail(&self, to: &str) -> AppResult<NewMail> {
        Ok(NewMail {
            kind: "invitation",
            from_name: self.site_name.to_owned(),
            to: to.to_owned(),
            subject: format!("You are invited to the admin of {}", self.site_name),
            text: render(&InvitationText { m: self })?,
            html: render(&InvitationHtml { m: self })?,
        })
    }
}

impl PasswordReset<'_> {
    /// The mail to `to`.
    pub fn mail(&self, to: &str) -> AppResult<NewMail> {
        Ok(NewMail {
            kind: "password_reset",
            from_name: self.site_name.to_owned(),
            to: to.to_owned(),
            subject: format!("Choose a new password for {}", self.site_name),
            text: render(&PasswordResetText { m: self })?,
            html: render(&PasswordResetHtml { m: self })?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_parts_carry_the_link_and_the_html_is_escaped() {
        let invitation = Invitation {
            site_name: "Alpha <Blog>",
            inviter: "owner@alpha.test",
            role: "editor",
            link: "https://alpha.test/admin/invitation/abc",
            valid_hours: 48,
        };
        let mail = invitation.mail("new@alpha.test").unwrap();
        assert!(
            mail.text
                .contains("https://alpha.test/admin/invitation/abc")
        );
        assert!(mail.text.contains("Alpha <Blog>") && mail.text.contains("48 hours"));
        assert!(
            mail.html
                .contains("href=\"https://alpha.test/admin/invitation/abc\"")
        );
        assert!(
            mail.html.contains("Alpha &#60;Blog&#62;") || mail.html.contains("Alpha &lt;Blog&gt;"),
            "{}",
            mail.html
        );
        let reset = PasswordReset {
            site_name: "Alpha",
            link: "https://alpha.test/admin/password/reset/xyz",
            again: "https://alpha.test/admin/password/forgot",
            valid_hours: 1,
        };
        let mail = reset.mail("a@alpha.test").unwrap();
        assert!(mail.text.contains("/admin/password/reset/xyz") && mail.text.contains("1 hour"));
        assert!(mail.html.contains("/admin/password/reset/xyz"));
    }
}
