"""The sign-in sheet of a distribution, as CSV and as a printable French page."""
from __future__ import annotations

import csv
import io
from html import escape

STATUS_FR = {"expected": "attendu", "offered": "proposé", "collected": "retiré", "unclaimed": "non retiré",
             "not_delivered": "non livré", "absent": "absent", "cancelled": "annulé"}
DAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre")


def french_date(day) -> str:
    return f"{DAYS_FR[day.weekday()]} {day.day} {MONTHS_FR[day.month - 1]} {day.year}"


def _safe_cell(value) -> str:
    # A name starting with = + - @ would run as a formula in a spreadsheet.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def sheet_csv(sheet: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["nom", "panier", "quantité", "procuration", "statut", "retiré à", "signature"])
    for row in sheet["rows"]:
        writer.writerow([_safe_cell(row["name"]), row["basket_kind"], row["quantity"], row["proxy"],
                         STATUS_FR.get(row["status"], row["status"]), row["collected_at"], ""])
    return out.getvalue()


def sheet_html(sheet: dict) -> str:
    distribution = sheet["distribution"]
    contract = distribution.contract
    title = (f"Feuille d'émargement — {contract.producer.name} — {french_date(distribution.date)}")
    lines = "\n".join(
        f"<tr><td>{escape(row['name'])}</td><td>{escape(row['basket_kind'])}</td><td>{row['quantity']}</td>"
        f"<td>{escape(row['proxy'])}</td><td>{escape(STATUS_FR.get(row['status'], row['status']))}</td>"
        f"<td>{escape(row['collected_at'])}</td><td class=\"signature\"></td></tr>"
        for row in sheet["rows"])
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border: 1px solid #444; padding: .4rem .6rem; text-align: left; }}
td.signature {{ width: 30%; height: 2rem; }}
@media print {{ body {{ margin: 0; }} }}
</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p>{escape(distribution.site.name)} — retrait de {sheet['starts_at']:%H:%M} à {sheet['ends_at']:%H:%M}
— contrat « {escape(contract.name)} »</p>
<table>
<caption>{len(sheet['rows'])} panier(s) attendu(s)</caption>
<thead><tr><th scope="col">Nom</th><th scope="col">Panier</th><th scope="col">Quantité</th>
<th scope="col">Procuration</th><th scope="col">Statut</th><th scope="col">Retiré à</th>
<th scope="col">Signature</th></tr></thead>
<tbody>
{lines}
</tbody>
</table>
</body>
</html>
"""
