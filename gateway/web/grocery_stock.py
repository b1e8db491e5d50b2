"""Grocery pages, continued: the stock of a place, receiving a lot, a lot's write-offs and inventory counts.
Routes of the `grocery_staff` blueprint."""
from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from gateway.web import client
from gateway.web.amap_staff import all_sites, pick_site, site_today
from gateway.web.forms import FormState, require, roles_required
from gateway.web.grocery_staff import GROCERY_STAFF, LOT_SOURCES, STOCK_CODES, grocery_staff, quantity_text
from gateway.web.i18n import unit_name
from gateway.web.pages import PageNotFound
from gateway.web.problems import explain
from gateway.web.values import as_number, parse_day, parse_quantity


# -- stock: lots, write-offs, inventory counts -----------------------------------------------------------
@grocery_staff.get("/stock")
@roles_required(*GROCERY_STAFF)
def stock():
    sites = all_sites()
    site = pick_site(sites)
    lots = require(client.get("/api/grocery/lots", query={"site": site["slug"]})) if site else []
    return render_template("grocery_staff/stock.html", sites=sites, site=site, lots=lots, today=site_today(site))


LOT_FIELDS = ("product_id", "quantity", "source", "donor", "expiry_kind", "expiry_date", "storage_place", "note")


def lot_labels() -> dict[str, str]:
    return {"product_id": gettext("Product"), "quantity": gettext("Quantity received"),
            "source": gettext("Where it comes from"), "donor": gettext("Donor"),
            "expiry_kind": gettext("Kind of date"), "expiry_date": gettext("Date on the packet"),
            "storage_place": gettext("Where it is stored"), "note": gettext("Note")}


@grocery_staff.route("/lots/new", methods=["GET", "POST"])
@roles_required(*GROCERY_STAFF)
def new_lot():
    sites = all_sites()
    site = pick_site(sites)
    if site is None:
        raise PageNotFound()
    today = site_today(site)
    products = require(client.get("/api/grocery/products", query={"site": site["slug"]}))
    form = FormState({"product_id": request.args.get("product", ""), "source": "purchase", "expiry_kind": "none"})
    form.labels, status = lot_labels(), 200
    if request.method == "POST":
        form = FormState({name: request.form.get(name, "").strip() for name in LOT_FIELDS})
        form.labels, status = lot_labels(), 422
        values = form.values
        body: dict = {"product_id": values["product_id"], "source": values["source"],
                      "expiry_kind": values["expiry_kind"] or "none", "storage_place": values["storage_place"],
                      "note": values["note"], "donor": values["donor"] or None}
        product = next((p for p in products if p["id"] == values["product_id"]), None)
        if product is None:
            form.error("product_id", gettext("Choose the product."))
        try:
            quantity = parse_quantity(values["quantity"])
            if product and product["unit"] == "piece" and quantity != quantity.to_integral_value():
                raise ValueError(quantity)
            body["quantity"] = as_number(quantity)
        except ValueError:
            form.error("quantity", gettext("Give a quantity above 0: whole pieces, or kg and litres like 1,5."))
        if values["source"] not in LOT_SOURCES:
            form.error("source", gettext("Say whether it was bought or given."))
        elif values["source"] == "donation" and not values["donor"]:
            form.error("donor", gettext("Say who gave it."))
        if values["expiry_date"]:
            try:
                expiry = parse_day(values["expiry_date"], today)
                body["expiry_date"] = expiry.isoformat()
                if body["expiry_kind"] == "none":
                    form.error("expiry_kind", gettext("Say whether the date is a use-by (DLC) or best-before (DDM) "
                                                      "date."))
                elif body["expiry_kind"] == "dlc" and expiry < today:
                    form.error("expiry_date", gettext("This use-by date has passed: the lot cannot be received."))
            except ValueError:
                form.error("expiry_date", gettext("Write a date like 26/11/2026."))
        elif body["expiry_kind"] in ("dlc", "ddm"):
            form.error("expiry_date", gettext("Give the date written on the packet."))
        if not form.errors:
            result = client.post("/api/grocery/lots", body)
            if result.ok:
                flash(gettext("%(quantity)s %(unit)s of %(product)s are in stock.",
                              quantity=quantity_text(result.body["quantity"]), unit=unit_name(result.body["unit"]),
                              product=result.body["product_name"]), "success")
                return redirect(url_for("grocery_staff.stock", site=site["slug"]))
            explain(form, result, {
                "quantity": gettext("Give a quantity above 0: whole pieces, or kg and litres like 1,5."),
                "expiry_date": gettext("Check the date: a use-by date (DLC) must not have passed."),
                "expiry_kind": gettext("Say whether the date is a use-by (DLC) or best-before (DDM) date."),
                "donor": gettext("Say who gave it."), "product_id": gettext("Choose the product.")}, STOCK_CODES)
            status = result.status
    return render_template("grocery_staff/lot_form.html", form=form, site=site, products=products), status


def lot_page(lot_id: str, write_off: FormState | None = None, count: FormState | None = None, status: int = 200):
    found = client.get(f"/api/grocery/lots/{lot_id}")
    if found.status == 404:
        raise PageNotFound()
    lot = require(found)
    movements = require(client.get(f"/api/grocery/lots/{lot_id}/movements"))
    site = next((s for s in all_sites() if s["id"] == lot["site_id"]), None)
    write_off = write_off or FormState({"kind": "loss"})
    count = count or FormState({"counted": quantity_text(lot["quantity"])})
    write_off.labels = {"kind": gettext("Why it leaves the stock"), "quantity": gettext("Quantity taken out"),
                        "reason": gettext("Reason (optional)")}
    count.labels = {"counted": gettext("Quantity counted on the shelf"), "count_reason": gettext("Note (optional)")}
    return render_template("grocery_staff/lot.html", lot=lot, movements=movements, site=site,
                           write_off=write_off, count=count), status


@grocery_staff.get("/lots/<lot_id>")
@roles_required(*GROCERY_STAFF)
def lot(lot_id: str):
    return lot_page(lot_id)


@grocery_staff.post("/lots/<lot_id>/write-off")
@roles_required(*GROCERY_STAFF)
def write_off(lot_id: str):
    form = FormState({name: request.form.get(name, "").strip() for name in ("kind", "quantity", "reason")})
    body = {"kind": form.values["kind"], "reason": form.values["reason"]}
    if body["kind"] not in ("loss", "expiry_write_off"):
        form.error("kind", gettext("Choose why it leaves the stock."))
    try:
        body["quantity"] = as_number(parse_quantity(form.values["quantity"]))
    except ValueError:
        form.error("quantity", gettext("Give a quantity above 0: whole pieces, or kg and litres like 1,5."))
    if not form.errors:
        result = client.post(f"/api/grocery/lots/{lot_id}/movements", body)
        if result.ok:
            flash(gettext("The write-off is recorded."), "success")
            return redirect(url_for("grocery_staff.lot", lot_id=lot_id))
        explain(form, result, {"quantity": gettext("Give a quantity above 0: whole pieces, or kg and litres like "
                                                   "1,5.")}, STOCK_CODES)
        return lot_page(lot_id, write_off=form, status=result.status)
    return lot_page(lot_id, write_off=form, status=422)


@grocery_staff.post("/lots/<lot_id>/count")
@roles_required(*GROCERY_STAFF)
def count(lot_id: str):
    form = FormState({name: request.form.get(name, "").strip() for name in ("counted", "count_reason")})
    body = {"kind": "inventory_correction", "reason": form.values["count_reason"]}
    try:
        counted = Decimal(form.values["counted"].replace(",", "."))
        if not counted.is_finite() or counted < 0:
            raise ValueError(counted)
        body["counted"] = as_number(counted)
    except (ValueError, ArithmeticError):
        form.error("counted", gettext("Give the quantity counted: 0 or more."))
    if not form.errors:
        result = client.post(f"/api/grocery/lots/{lot_id}/movements", body)
        if result.ok:
            flash(gettext("The count is recorded: the stock of this lot is corrected."), "success")
            return redirect(url_for("grocery_staff.lot", lot_id=lot_id))
        explain(form, result, {"counted": gettext("The count matches the stock: there is nothing to correct.")},
                STOCK_CODES, renames={"reason": "count_reason"})
        return lot_page(lot_id, count=form, status=result.status)
    return lot_page(lot_id, count=form, status=422)
