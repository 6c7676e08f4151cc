"""children: children's records, structures and prestations, the calendar (public and school
holidays, closures), enrolments, bookings with their capacity and deadlines, absences and
attendance, the planning grid and its iCal feed."""
