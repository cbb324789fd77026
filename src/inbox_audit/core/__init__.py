"""The pure core: headers → classify → threads → pairing → metrics → holding. No I/O."""
