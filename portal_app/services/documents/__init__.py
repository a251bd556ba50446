"""Documents for signature (contracts, proposals, estimates).

Where the flows start:
- Staff prepare and send: documents.upload_document → save_fields (who signs where) →
  send_document (emails each signer in order); remind, void_document; expire_due runs from
  the worker.
- A signer (client or staff) signs: signing.signer_for / mark_viewed → sign_document (or
  decline_document); the last signature completes the document and queues its sealing.
- The completed PDF is stamped, given its certificate of completion and sealed (PAdES):
  sealing.complete (retry_sealing when it failed; ensure_identity / upload_pkcs12 for the
  workspace's signing identity).
- Anyone checks a PDF at /verify: verify.verify_upload.
- Lists, the detail page and page images: document_views.
"""
