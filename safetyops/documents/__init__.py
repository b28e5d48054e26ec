"""The school's safety paperwork: documents and local acts, contracts and licences, instruction journals."""
