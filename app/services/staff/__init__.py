"""Customer-service staff: accounts with a password and TOTP, set-up links, lookups.

Plain Python (no request, no session): ``accounts`` creates, removes and signs
in staff members, ``totp`` holds the second factor, ``lookup`` answers "does
this customer number or username link, and to what?" without identity codes.
"""
