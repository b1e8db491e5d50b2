"""Social grocery pages of the referent: the site's rules, products and prices, stock lots, write-offs and
inventory counts, and the households (list, search by card number, renew, end)."""
from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from gateway.web import client
from gateway.web.amap_staff import all_sites, pick_site
from gateway.web.forms import FormState, cents_to_euros, euros_to_cents, require, roles_required
from gateway.web.i18n import unit_name
from gateway.web.pages import PageNotFound, page_error
from gateway.web.problems import explain
from gateway.web.values import as_number, parse_quantity, parse_whole

grocery_staff = Blueprint("grocery_staff", __name__, url_prefix="/veilleur/grocery")
grocery_staff.register_error_handler(Exception, page_error)
# Who sets the rules and the prices, and who sees households and stock: as the grocery API allows today,
# with the site's grocery referent once that role exists (the API decides in the end).
PRICE_SETTERS = ("grocery_referent", "admin")
GROCERY_STAFF = ("grocery_referent", "veilleur", "admin")
CAP_ROWS = 6
UNITS = ("piece", "kg", "l")
TIER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
HOUSEHOLD_STATUSES = {"eligible": lazy_gettext("eligible"), "ineligible": lazy_gettext("not eligible"),
                      "expired": lazy_gettext("access period over"), "ended": lazy_gettext("access ended")}
DECISIONS = {"registered": lazy_gettext("registered"), "renewed": lazy_gettext("renewed"),
             "expired": lazy_gettext("period over"), "ended": lazy_gettext("ended by a referent")}
LOT_SOURCES = {"purchase": lazy_gettext("purchase"), "donation": lazy_gettext("donation")}
EXPIRY_KINDS = {"none": lazy_gettext("no date"), "dlc": lazy_gettext("use-by date (DLC)"),
                "ddm": lazy_gettext("best-before date (DDM)")}
MOVEMENTS = {"purchase": lazy_gettext("purchase"), "donation": lazy_gettext("donation"), "sale": lazy_gettext("sale"),
             "loss": lazy_gettext("loss"), "expiry_write_off": lazy_gettext("write-off: date passed"),
             "inventory_correction": lazy_gettext("inventory count")}
STOCK_CODES = {"not-enough-stock": lazy_gettext("This lot does not hold that much: count it again."),
               "not-found": lazy_gettext("This no longer exists: reload the page and try again.")}
HOUSEHOLD_CODES = {"household-already-ended": lazy_gettext("This household's access was already ended."),
                   "no-grocery-rules": lazy_gettext("This grocery has no rules yet: a referent sets them first."),
                   "not-found": lazy_gettext("This household no longer exists.")}


@grocery_staff.app_template_global()
def household_status(status: str) -> str:
    return str(HOUSEHOLD_STATUSES.get(status, status))


@grocery_staff.app_template_global()
def grocery_word(table: str, code: str | None) -> str:
    words = {"decision": DECISIONS, "source": LOT_SOURCES, "expiry": EXPIRY_KINDS, "movement": MOVEMENTS}[table]
    return str(words.get(code, code or ""))


@grocery_staff.app_template_global()
def product_choices(products: list[dict]) -> list[tuple[str, str]]:
    return [(p["id"], f"{p['name']} ({unit_name(p['unit'])})") for p in sorted(products, key=lambda p: p["name"])]


def rules_of(site: dict) -> dict | None:
    found = client.get(f"/api/grocery/sites/{site['slug']}/rules")
    return None if found.status == 404 else require(found)


def quantity_text(value) -> str:
    """A quantity from the API as people write it here: 1,5 for 1.5."""
    return "" if value is None else str(value).replace(".", ",")


@grocery_staff.get("")
@roles_required(*GROCERY_STAFF)
def index():
    sites = all_sites()
    site = pick_site(sites)
    return render_template("grocery_staff/index.html", sites=sites, site=site, rules=rules_of(site) if site else None)


# -- rules -----------------------------------------------------------------------------------------------
def rules_form_values(rules: dict | None) -> dict:
    if not rules:
        return {"access_months": "3"}
    values = {"threshold": cents_to_euros(rules["threshold_cents_per_day"]).replace(".", ","),
              "access_months": str(rules["access_months"])}
    for index, cap in enumerate(rules["monthly_caps_cents"][:CAP_ROWS]):
        values[f"caps.{index}"] = cents_to_euros(cap).replace(".", ",")
    for index, (tier, percentage) in enumerate(sorted(rules["tier_percentages"].items())):
        values[f"tiers.{index}.name"], values[f"tiers.{index}.percentage"] = tier, str(percentage)
    return values


def tier_rows(values: dict) -> int:
    filled = sum(1 for key in values if key.startswith("tiers.") and key.endswith(".name"))
    return max(4, filled + 2)


def rules_labels(rows: int) -> dict[str, str]:
    labels = {"threshold": gettext("Threshold (euros per person per day)"),
              "access_months": gettext("Access period (months)"), "caps": gettext("Monthly caps")}
    for index in range(CAP_ROWS):
        labels[f"caps.{index}"] = cap_label(index)
    labels["tiers"] = gettext("Price tiers")
    for index in range(rows):
        labels[f"tiers.{index}.name"] = gettext("Tier %(number)s, name", number=index + 1)
        labels[f"tiers.{index}.percentage"] = gettext("Tier %(number)s, percentage", number=index + 1)
    return labels


def cap_label(index: int) -> str:
    if index == CAP_ROWS - 1:
        return gettext("%(num)s people or more (euros)", num=index + 1)
    return gettext("%(num)s person (euros)", num=1) if index == 0 else gettext("%(num)s people (euros)", num=index + 1)


def read_rules_form() -> tuple[FormState, dict]:
    rows = tier_rows({key: 1 for key in request.form if key.startswith("tiers.")})
    names = ["threshold", "access_months", *(f"caps.{i}" for i in range(CAP_ROWS))]
    names += [f"tiers.{i}.{part}" for i in range(rows) for part in ("name", "percentage")]
    form = FormState({name: request.form.get(name, "").strip() for name in names})
    form.labels = rules_labels(rows)
    body: dict = {"currency": "EUR"}
    try:
        threshold = euros_to_cents(form.values["threshold"])
        if threshold is None:
            form.error("threshold", gettext("This field is required."))
        elif not 1 <= threshold <= 100_000:
            raise ValueError(threshold)
        else:
            body["threshold_cents_per_day"] = threshold
    except ValueError:
        form.error("threshold", gettext("Give an amount in euros from 0,01 to 1000, for example 10 or 7,50."))
    try:
        body["access_months"] = parse_whole(form.values["access_months"], 1, 24)
    except ValueError:
        form.error("access_months", gettext("Give a whole number of months from 1 to 24."))
    caps, gap = [], False
    for index in range(CAP_ROWS):
        name = f"caps.{index}"
        try:
            cap = euros_to_cents(form.values[name])
        except ValueError:
            form.error(name, gettext("Give an amount in euros, for example 45."))
            continue
        if cap is None:
            gap = True
        elif gap:
            form.error(name, gettext("Fill the caps from one person up, without a gap."))
        elif caps and cap < caps[-1]:
            form.error(name, gettext("A bigger household never gets a smaller cap."))
        else:
            caps.append(cap)
    if not caps and not form.errors_for("caps"):
        form.error("caps.0", gettext("Give at least the cap of a household of one person."))
    body["monthly_caps_cents"] = caps
    tiers = {}
    for index in range(rows):
        tier, percentage = form.values[f"tiers.{index}.name"], form.values[f"tiers.{index}.percentage"]
        if not tier and not percentage:
            continue
        if not TIER_NAME.match(tier):
            form.error(f"tiers.{index}.name", gettext("Name the tier with letters or digits, for example 1 or A."))
        elif tier in tiers:
            form.error(f"tiers.{index}.name", gettext("Two tiers have this name."))
        try:
            tiers[tier] = parse_whole(percentage, 0, 100)
        except ValueError:
            form.error(f"tiers.{index}.percentage", gettext("Give a percentage from 0 to 100."))
    if not tiers and not form.errors_for("tiers"):
        form.error("tiers.0.name", gettext("Give at least one tier and its percentage."))
    body["tier_percentages"] = tiers
    return form, body


RULES_FIELDS = {"threshold_cents_per_day": lazy_gettext("Give an amount in euros from 0,01 to 1000."),
                "access_months": lazy_gettext("Give a whole number of months from 1 to 24."),
                "monthly_caps_cents": lazy_gettext("Check the caps: a bigger household never gets a smaller cap."),
                "tier_percentages": lazy_gettext("Check the tiers: a name of letters or digits, a percentage "
                                                 "from 0 to 100.")}


@grocery_staff.route("/rules", methods=["GET", "POST"])
@roles_required(*PRICE_SETTERS)
def rules():
    sites = all_sites()
    site = pick_site(sites)
    if site is None:
        raise PageNotFound()
    current = rules_of(site)
    values = rules_form_values(current)
    form, status = FormState(values), 200
    form.labels = rules_labels(tier_rows(values))
    if request.method == "POST":
        form, body = read_rules_form()
        status = 422
        if not form.errors:
            result = client.call("PUT", f"/api/grocery/sites/{site['slug']}/rules", json_body=body)
            if result.ok:
                flash(gettext("The rules of the grocery of %(place)s are saved.", place=site["name"]), "success")
                return redirect(url_for("grocery_staff.index", site=site["slug"]))
            explain(form, result, RULES_FIELDS, renames={"threshold_cents_per_day": "threshold",
                                                         "monthly_caps_cents": "caps.0",
                                                         "tier_percentages": "tiers.0.name"})
            status = result.status
    tiers = sum(1 for key in form.labels if key.endswith(".percentage"))
    return render_template("grocery_staff/rules.html", form=form, site=site, current=current, cap_rows=CAP_ROWS,
                           tier_rows=tiers, cap_label=cap_label), status


# -- products and prices ---------------------------------------------------------------------------------
def is_donated_basket(product: dict) -> bool:
    """A product the relay made for unclaimed AMAP baskets, still at price 0 without a tier."""
    return product["category"] == "amap" and not product["retail_price_cents"] and not product.get("tier")


@grocery_staff.get("/products")
@roles_required(*GROCERY_STAFF)
def products():
    sites = all_sites()
    site = pick_site(sites)
    found = require(client.get("/api/grocery/products", query={"site": site["slug"]})) if site else []
    rules = rules_of(site) if site else None
    waiting = [p for p in found if is_donated_basket(p)]
    return render_template("grocery_staff/products.html", sites=sites, site=site, waiting=waiting,
                           products=[p for p in found if p not in waiting],
                           tiers=(rules or {}).get("tier_percentages") or {})


PRODUCT_FIELDS = ("name", "category", "unit", "price", "tier", "local", "deposit", "monthly_limit", "low_stock")


def product_labels() -> dict[str, str]:
    return {"site": gettext("Place"), "name": gettext("Name of the product"), "category": gettext("Category"),
            "unit": gettext("Sold by"), "price": gettext("Retail price (euros per unit)"),
            "tier": gettext("Solidarity tier"), "local": gettext("From a local producer"),
            "deposit": gettext("Deposit per returnable bottle (euros)"),
            "monthly_limit": gettext("Limit per household and month"),
            "low_stock": gettext("Say the stock is low under")}


def tier_options(tiers: dict) -> list[tuple[str, str]]:
    return [("", gettext("none: shop only, at the retail price"))] + [
        (tier, gettext("tier %(tier)s: %(percentage)s %% of the price", tier=tier, percentage=percentage))
        for tier, percentage in sorted(tiers.items())]


def read_product_form(unit: str | None) -> tuple[FormState, dict]:
    """The form and the API body; `unit` is the product's when it exists (it cannot change)."""
    form = FormState({name: request.form.get(name, "").strip() for name in PRODUCT_FIELDS})
    form.labels = product_labels()
    values = form.values
    unit = unit or values["unit"]
    body: dict = {"name": values["name"], "category": values["category"], "tier": values["tier"] or None,
                  "local": values["local"] == "yes"}
    for name in ("name", "category"):
        if not values[name]:
            form.error(name, gettext("This field is required."))
    if unit not in UNITS:
        form.error("unit", gettext("Choose how the product is sold."))
    for name, key, required in (("price", "retail_price_cents", True), ("deposit", "deposit_cents", False)):
        try:
            amount = euros_to_cents(values[name])
        except ValueError:
            form.error(name, gettext("Give an amount in euros, for example 2,50."))
            continue
        if amount is None and required:
            form.error(name, gettext("This field is required."))
        body[key] = amount or 0
    if body.get("deposit_cents") and unit != "piece":
        form.error("deposit", gettext("A deposit is for bottles or jars sold by the piece."))
    for name, key in (("monthly_limit", "monthly_limit"), ("low_stock", "low_stock_threshold")):
        if not values[name]:
            body[key] = None
            continue
        try:
            amount = parse_quantity(values[name])
            if unit == "piece" and amount != amount.to_integral_value():
                raise ValueError(amount)
            body[key] = as_number(amount)
        except ValueError:
            form.error(name, gettext("Give a quantity: whole pieces, or kg and litres like 1,5."))
    if body.get("low_stock_threshold") is None:
        body.pop("low_stock_threshold")
    return form, body


PRODUCT_FIELD_WORDS = {"tier": lazy_gettext("This tier is not one of the grocery's rules."),
                       "deposit_cents": lazy_gettext("A deposit is for bottles or jars sold by the piece."),
                       "retail_price_cents": lazy_gettext("Give an amount in euros, for example 2,50."),
                       "monthly_limit": lazy_gettext("Give a quantity: whole pieces, or kg and litres like 1,5."),
                       "low_stock_threshold": lazy_gettext("Give a quantity: whole pieces, or kg and litres like "
                                                           "1,5.")}
PRODUCT_RENAMES = {"retail_price_cents": "price", "deposit_cents": "deposit", "low_stock_threshold": "low_stock"}


@grocery_staff.route("/products/new", methods=["GET", "POST"])
@roles_required(*PRICE_SETTERS)
def new_product():
    sites = all_sites()
    site = pick_site(sites)
    if site is None:
        raise PageNotFound()
    tiers = (rules_of(site) or {}).get("tier_percentages") or {}
    form, status = FormState({"unit": "piece"}), 200
    form.labels = product_labels()
    if request.method == "POST":
        form, body = read_product_form(None)
        body |= {"site": site["slug"], "unit": form.values["unit"]}
        status = 422
        if not form.errors:
            result = client.post("/api/grocery/products", body)
            if result.ok:
                flash(gettext("The product %(name)s is added.", name=result.body["name"]), "success")
                return redirect(url_for("grocery_staff.products", site=site["slug"]))
            explain(form, result, PRODUCT_FIELD_WORDS, renames=PRODUCT_RENAMES)
            status = result.status
    return render_template("grocery_staff/product_form.html", form=form, site=site, product=None,
                           tier_options=tier_options(tiers), units=UNITS), status


@grocery_staff.route("/products/<product_id>/edit", methods=["GET", "POST"])
@roles_required(*PRICE_SETTERS)
def edit_product(product_id: str):
    found = client.get(f"/api/grocery/products/{product_id}")
    if found.status == 404:
        raise PageNotFound()
    product = require(found)
    site = next((s for s in all_sites() if s["id"] == product["site_id"]), None)
    tiers = (rules_of(site) or {}).get("tier_percentages") or {} if site else {}
    form = FormState({"name": product["name"], "category": product["category"], "unit": product["unit"],
                      "price": cents_to_euros(product["retail_price_cents"]).replace(".", ","),
                      "tier": product.get("tier") or "", "local": "yes" if product.get("local") else "",
                      "deposit": cents_to_euros(product["deposit_cents"]).replace(".", ",")
                      if product.get("deposit_cents") else "",
                      "monthly_limit": quantity_text(product.get("monthly_limit")),
                      "low_stock": quantity_text(product.get("low_stock_threshold") or None)})
    form.labels, status = product_labels(), 200
    if request.method == "POST":
        form, body = read_product_form(product["unit"])
        form.values["unit"] = product["unit"]
        status = 422
        if not form.errors:
            result = client.patch(f"/api/grocery/products/{product_id}", body)
            if result.ok:
                flash(gettext("Your changes are saved."), "success")
                return redirect(url_for("grocery_staff.products", site=site["slug"] if site else None))
            explain(form, result, PRODUCT_FIELD_WORDS, renames=PRODUCT_RENAMES)
            status = result.status
    return render_template("grocery_staff/product_form.html", form=form, site=site, product=product,
                           tier_options=tier_options(tiers), units=UNITS), status
