"""The one mailer: every email is a pair of templates sent through FORUM_MAIL_URL's backend.

``templates/emails/<domain>/<name>.txt`` sets ``subject`` and holds the text part;
``<name>.html`` beside it holds the HTML part. Both get the same context plus ``base_url``.
"""

from __future__ import annotations

from flask import current_app
from flask_mailman import EmailMultiAlternatives


def render_email(template: str, **context) -> tuple[str, str, str]:
    """Return (subject, text, html) for ``emails/<template>``."""
    env = current_app.jinja_env
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    context.setdefault("site_name", current_app.config["SITE_NAME"])
    text_module = env.get_template(f"emails/{template}.txt").make_module(context)
    html = env.get_template(f"emails/{template}.html").render(context)
    subject = " ".join(
        str(getattr(text_module, "subject", current_app.config["SITE_NAME"])).split()
    )
    return subject, str(text_module).strip() + "\n", html


def send_email(to: str, template: str, **context) -> None:
    subject, text, html = render_email(template, **context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=current_app.config["MAIL_FROM"],
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    message.send()
