"""Alerts: a navigation slot the alerts issue fills."""

from __future__ import annotations

import streamlit as st


def render() -> None:
    """Draw the placeholder."""
    st.title("Alerts")
    st.info(
        "Alerts is coming: this page is reserved and will be filled by its own issue.",
        icon=":material/construction:",
    )


if __name__ == "__main__":
    render()
