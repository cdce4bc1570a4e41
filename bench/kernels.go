package bench

// Cases returns the curated suite, grouped by package, in table order.
func Cases() []Case {
	var cs []Case
	cs = append(cs, floorCases()...)
	cs = append(cs, transportCases()...)
	cs = append(cs, heCases()...)
	cs = append(cs, dpCases()...)
	cs = append(cs, otCases()...)
	cs = append(cs, psiCases()...)
	cs = append(cs, mpcCases()...)
	cs = append(cs, secaggCases()...)
	return cs
}
