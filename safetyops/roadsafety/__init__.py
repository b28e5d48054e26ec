"""The school's road-safety work beyond incidents and briefings: the young traffic inspectors squad
(ЖЖИ / ЮИД), its activities and competitions, joint events with the traffic police (ГУОБДД) and
parent meetings on road safety."""
