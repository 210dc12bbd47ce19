"""What comes in: the inbox lifecycle (inbox: read each file inside its own guard, move it
to processed/ or rejected/ only after the register is saved) and the form readers (forms/).
May import store, rules, xlsx, config and domain; not output or mail.
"""
