"""One register of incidents at school beyond road traffic (accidents and injuries, fights, property
damage, intrusions), with the injuries and the first aid given: health details are sensitive data."""
