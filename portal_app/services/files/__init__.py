"""Shared files and resource links.

Where the flows start:
- Staff organise and share: files.create_folder / add_link / rename_item / move_item /
  delete_item, and files.set_sharing (all clients, chosen contacts, or as its folder).
- Anyone uploads: file_transfer.check_declared (sizes, before a byte is sent) →
  IncomingFile (streamed, checked as it arrives) → file_transfer.store_upload.
- Anyone downloads or previews: file_transfer.open_file (access first; a client's first
  download is remembered).
- Listings: file_views.staff_folder and file_views.client_folder. File names and content
  types: filetypes.
"""
