package schemacompat

import "slices"

// object compares properties, required and additionalProperties.
func (c *comparer) object(vo, vn view, dir Direction, via []string) {
	po, orderO := vo.properties()
	pn, orderN := vn.properties()
	ro, rn := vo.required(), vn.required()
	closedO, _ := vo.closed()
	closedN, atClosedN := vn.closed()
	names := slices.Clone(orderO)
	for _, list := range [][]string{orderN, sortedKeys(ro), sortedKeys(rn)} {
		for _, name := range list {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	for _, name := range names {
		locO, inO := po[name]
		locN, inN := pn[name]
		_, reqO := ro[name]
		atReqN, reqN := rn[name]
		inO, inN = inO || reqO, inN || reqN
		switch {
		case inO && !inN:
			where := ro[name]
			if len(locO) > 0 {
				where = locO[0]
			}
			switch {
			case dir == ServerToClient:
				c.add(where, dir, true, via, "field %q removed: old clients may read it", name)
			case closedN:
				c.add(where, dir, true, via, "field %q removed: old clients that send it are refused", name)
			default:
				c.add(where, dir, false, via, "field %q removed: still accepted, and ignored", name)
			}
			continue
		case !inO && inN:
			where := atReqN
			if len(locN) > 0 {
				where = locN[0]
			}
			switch {
			case dir == ClientToServer && reqN:
				c.add(atReqN, dir, true, via, "new required field %q", name)
			case dir == ClientToServer:
				c.add(where, dir, false, via, "new optional field %q", name)
			case closedO:
				c.add(where, dir, true, via, "new field %q: the released contract refuses unknown fields", name)
			default:
				c.add(where, dir, false, via, "new field %q (clients ignore fields they do not know)", name)
			}
			continue
		}
		if reqO != reqN {
			where := atReqN
			if !reqN {
				where = c.at(vn, "required", Location{}, false, ro[name])
				if l, ok := vn.requiredAt(); ok {
					where = l
				}
			}
			switch {
			case dir == ClientToServer && reqN:
				c.add(where, dir, true, via, "field %q is now required", name)
			case dir == ClientToServer:
				c.add(where, dir, false, via, "field %q is now optional", name)
			case reqN:
				c.add(where, dir, false, via, "field %q is now always present", name)
			default:
				c.add(where, dir, true, via, "field %q is no longer always present", name)
			}
		}
		c.compare(viewAt(c.old, locO...), viewAt(c.new, locN...), dir, append(slices.Clone(via), name))
	}
	if closedO != closedN {
		where := atClosedN
		if !closedN {
			where = c.at(vn, "additionalProperties", Location{}, false, Location{})
		}
		switch {
		case dir == ClientToServer && closedN:
			c.add(where, dir, true, via, "additionalProperties made false: fields old clients may send are refused")
		case dir == ClientToServer:
			c.add(where, dir, false, via, "additionalProperties no longer false: unknown fields are accepted")
		case closedN:
			c.add(where, dir, false, via, "additionalProperties made false: no field beyond those listed is sent")
		default:
			c.add(where, dir, true, via, "additionalProperties no longer false: old clients refuse fields they do not know")
		}
	}
}
