from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User


class CheckoutForm(forms.Form):
    name = forms.CharField(max_length=120)
    email = forms.EmailField()
    address = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False)

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=0, max_value=99)
