from django import forms

from moderation.models import NOTE_LENGTH, REASON_LENGTH, Reason, Report


class ReportForm(forms.ModelForm[Report]):
    reason = forms.ChoiceField(
        label="What is wrong?", choices=Reason.choices, widget=forms.RadioSelect
    )

    class Meta:
        model = Report
        fields = ["reason", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3, "data-counter": ""})}
        labels = {"note": "Anything our moderators should know? (optional)"}
        help_texts = {"note": f"Up to {NOTE_LENGTH} characters."}


class ActionReasonForm(forms.Form):
    """The admin's intermediate page: why, as the person's e-mail will say."""

    reason = forms.CharField(
        max_length=REASON_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=(
            f"Required, up to {REASON_LENGTH} characters. The person reads it in "
            "their e-mail (not for dismiss); it is kept in the audit log."
        ),
    )
