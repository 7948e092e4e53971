package scripts

import (
	"fmt"

	"github.com/dop251/goja"
)

// binaryGlobals are removed from every policy runtime: policies see
// snapshot values, never packet bytes, and these constructors allocate
// their whole size in one uninterruptible native step.
var binaryGlobals = []string{
	"ArrayBuffer", "SharedArrayBuffer", "DataView",
	"Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array",
	"Int32Array", "Uint32Array", "Float32Array", "Float64Array", "BigInt64Array", "BigUint64Array",
}

// arrayWalkers are the Array.prototype methods that walk this.length
// elements in native code; they refuse arrays longer than MaxArrayLen.
var arrayWalkers = []string{
	"concat", "copyWithin", "every", "fill", "filter", "find", "findIndex", "findLast", "findLastIndex",
	"flat", "flatMap", "forEach", "includes", "indexOf", "join", "lastIndexOf", "map", "reduce",
	"reduceRight", "reverse", "shift", "slice", "some", "sort", "splice", "toLocaleString", "toReversed",
	"toSorted", "toSpliced", "toString", "unshift", "with",
}

// installGuards wraps the built-ins that can allocate or loop without
// bound inside one native call, which the timeout cannot interrupt (goja
// checks for interrupts between JavaScript instructions only). It is best
// effort: see the package documentation.
func (in *instance) installGuards() error {
	vm := in.vm
	g := vm.GlobalObject()
	for _, name := range binaryGlobals {
		if err := g.Delete(name); err != nil {
			return err
		}
	}
	in.rangeErr = g.Get("RangeError")
	jsonObj := g.Get("JSON").ToObject(vm)
	stringify, ok := goja.AssertFunction(jsonObj.Get("stringify"))
	if !ok {
		return fmt.Errorf("flowlog/scripts: JSON.stringify missing")
	}
	in.stringify = stringify

	maxStr, maxArr := int64(in.r.opts.MaxStringLen), int64(in.r.opts.MaxArrayLen)
	strLen := func(v goja.Value) int64 {
		if s, ok := v.ToString().(goja.String); ok {
			return int64(s.Length())
		}
		return 0
	}
	arrLen := func(v goja.Value) int64 {
		o, ok := v.(*goja.Object)
		if !ok {
			return 0
		}
		l := o.Get("length")
		if l == nil {
			return 0
		}
		return l.ToInteger()
	}
	tooLong := func(what string, n, limit int64) {
		if n > limit {
			in.throwRange("%s: %d exceeds the policy limit of %d", what, n, limit)
		}
	}

	strProto := g.Get("String").ToObject(vm).Get("prototype").ToObject(vm)
	if err := in.wrap(strProto, "repeat", func(c goja.FunctionCall) {
		n := c.Argument(0).ToInteger()
		if l := strLen(c.This); l > 0 && n > 0 {
			if n > maxStr || l*n > maxStr {
				in.throwRange("String.prototype.repeat: result longer than the policy limit of %d", maxStr)
			}
		}
	}); err != nil {
		return err
	}
	for _, name := range []string{"padStart", "padEnd"} {
		if err := in.wrap(strProto, name, func(c goja.FunctionCall) {
			tooLong("String.prototype."+name+": length", c.Argument(0).ToInteger(), maxStr)
		}); err != nil {
			return err
		}
	}
	for _, name := range []string{"replace", "replaceAll"} {
		if err := in.wrap(strProto, name, func(c goja.FunctionCall) {
			if r, ok := c.Argument(1).(goja.String); ok && r.Length() > 1 {
				tooLong("String.prototype."+name+": possible result length", (strLen(c.This)+1)*int64(r.Length()), maxStr)
			}
		}); err != nil {
			return err
		}
	}

	arrayCtor := g.Get("Array").ToObject(vm)
	arrProto := arrayCtor.Get("prototype").ToObject(vm)
	for _, name := range arrayWalkers {
		if arrProto.Get(name) == nil {
			continue // not in this goja version
		}
		check := func(c goja.FunctionCall) {
			n := arrLen(c.This)
			tooLong("Array.prototype."+name+": array length", n, maxArr)
			switch name {
			case "concat":
				for _, a := range c.Arguments {
					n += arrLen(a)
				}
				tooLong("Array.prototype.concat: result length", n, maxArr)
			case "join":
				if n > 1 {
					tooLong("Array.prototype.join: separators length", (n-1)*strLen(c.Argument(0)), maxStr)
				}
			}
		}
		if err := in.wrap(arrProto, name, check); err != nil {
			return err
		}
	}
	if err := in.wrap(arrayCtor, "from", func(c goja.FunctionCall) {
		tooLong("Array.from: length", arrLen(c.Argument(0)), maxArr)
	}); err != nil {
		return err
	}
	fnProto := g.Get("Function").ToObject(vm).Get("prototype").ToObject(vm)
	if err := in.wrap(fnProto, "apply", func(c goja.FunctionCall) {
		tooLong("Function.prototype.apply: arguments length", arrLen(c.Argument(1)), maxArr)
	}); err != nil {
		return err
	}
	reflect := g.Get("Reflect").ToObject(vm)
	if err := in.wrap(reflect, "apply", func(c goja.FunctionCall) {
		tooLong("Reflect.apply: arguments length", arrLen(c.Argument(2)), maxArr)
	}); err != nil {
		return err
	}
	return nil
}

// wrap replaces obj[name] with a native that runs check (which throws to
// refuse) and then the original.
func (in *instance) wrap(obj *goja.Object, name string, check func(goja.FunctionCall)) error {
	orig, ok := goja.AssertFunction(obj.Get(name))
	if !ok {
		return fmt.Errorf("flowlog/scripts: built-in %s is not a function", name)
	}
	f := func(c goja.FunctionCall) goja.Value {
		check(c)
		ret, err := orig(c.This, c.Arguments...)
		if err != nil {
			panic(err)
		}
		return ret
	}
	return obj.DefineDataProperty(name, in.vm.ToValue(f), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}
