"""Acting on mail: command mail (buttons and replies to the digest) parsed, authorised and
carried out, tokens, buttons, confirmations, and the drafts nudger keeps in Drafts."""
