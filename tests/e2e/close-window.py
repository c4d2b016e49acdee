#!/usr/bin/env python3
"""Closes or inspects DBackup's window the way a window manager's close button does.

Xvfb runs no window manager, so nothing would send the window the WM_DELETE_WINDOW
request a user's click on the close button sends. This does it with python-xlib.

    close-window.py close TITLE   send WM_DELETE_WINDOW to the window titled TITLE
    close-window.py state TITLE   print "viewable", "hidden" or "gone"
"""
import sys

from Xlib import X, display, protocol


def find(d, title):
    """The top-level windows titled `title` (GTK puts the title on its toplevel)."""
    found = []
    for w in d.screen().root.query_tree().children:
        try:
            name = w.get_wm_name()
        except Exception:  # the window went away while listing
            continue
        if name == title:
            found.append(w)
    return found


def main():
    action, title = sys.argv[1], sys.argv[2]
    d = display.Display()
    windows = find(d, title)
    if action == "state":
        if not windows:
            print("gone")
        elif any(w.get_attributes().map_state == X.IsViewable for w in windows):
            print("viewable")
        else:
            print("hidden")
        return 0
    if action == "close":
        viewable = [w for w in windows if w.get_attributes().map_state == X.IsViewable]
        if not viewable:
            print(f"close-window: no viewable window titled {title!r}", file=sys.stderr)
            return 1
        protocols = d.intern_atom("WM_PROTOCOLS")
        delete = d.intern_atom("WM_DELETE_WINDOW")
        for w in viewable:
            event = protocol.event.ClientMessage(
                window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
            )
            w.send_event(event, event_mask=X.NoEventMask)
        d.flush()
        return 0
    print(f"close-window: unknown action {action!r}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
