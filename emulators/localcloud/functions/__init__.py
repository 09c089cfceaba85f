"""Functions host: serves the firebase-functions of ``functions/main.py`` the way the Firebase emulator does."""
