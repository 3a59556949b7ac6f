"""perfcore: read, score, check and store 财政项目支出绩效自评表. No Streamlit here."""

__version__ = "0.1.0"
