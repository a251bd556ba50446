"""Billing: invoices and the money paid against them.

Where the flows start:
- Staff write and send an invoice: invoices.create_invoice → update_draft → send_invoice
  (void_invoice, record_manual_payment for a cheque or transfer); lists and the detail page
  read invoice_views; the PDF is invoice_pdf.invoice_pdf.
- The client hears about it: send_invoice raises events.InvoiceSent; the worker runs
  invoice_mail.email_invoice_sent (a branded email with the link, to a client with portal
  access); invoice_mail.sent_note is what staff read after sending.
- A client opens an invoice: client_invoice.client_invoice_page (the page, Pay Now's offer
  and a payment on its way, read in three prebuilt statements); the first view is recorded
  by invoices.mark_viewed.
- A client pays an invoice: card_payments.checkout (what the Pay Now form needs), then
  card_payments.pay_invoice (card saved, PaymentIntent confirmed server-side); the money is
  booked when Stripe's signed webhook arrives: stripe_webhooks.handle_webhook → ledger.book →
  ledger.settle (the invoice's paid/balance/status). reconcile.reconcile_workspace books any
  success the webhooks missed.
- Staff refund a payment: refunds.refund_payment (Stripe refund, then the ledger).
- Staff connect Stripe and choose invoice defaults: payment_settings.
- Staff enter the business details and the other ways to pay (bank transfer, cheque, free
  text): payment_instructions.save_instructions; every invoice then says how to pay
  (payment_instructions.how_to_pay: the client's page, the staff page, the PDF).
- Amounts: money (exact minor units, one rounding rule, one way to print an amount).
"""
