"""Drift: a navigation slot the drift issue fills."""

from __future__ import annotations

import streamlit as st


def render() -> None:
    """Draw the placeholder."""
    st.title("Drift")
    st.info(
        "Drift is coming: this page is reserved and will be filled by its own issue.",
        icon=":material/construction:",
    )


if __name__ == "__main__":
    render()
