#!/usr/bin/env python3
"""Extracts a compact schema of the AWS Terraform provider from the jsii assembly in a
cdktf-cdktf-provider-aws wheel and writes it, gzipped and deterministic, for Nimbus's offline validation.

Usage: provider_schema.py [--verbose] WHEEL OUT_JSON_GZ [VERSION_FILE]
(--verbose, or PROVIDER_SCHEMA_VERBOSE=1, lists on stderr the names that differ from a camelCase conversion, the
attributes-as-blocks, the object-typed attributes and the blocks whose content the assembly leaves untyped.)

Sources inside the wheel: cdktf_cdktf_provider_aws/_jsii/*.jsii.tgz holds package/.jsii (the assembly, possibly a
"jsii/file-redirect" to a gzipped one), package/package.json (cdktf.provider.version is the Terraform provider version
the package was generated from) and package/lib/<module>/index.js (plus index-structs/structs<N>.js for big modules; the generated code, which spells every Terraform
name exactly, e.g. `acceleration_status: cdktf.stringToTerraform(this._accelerationStatus)` and
`return this.getStringAttribute('bucket_domain_name')`).

Output (sorted keys, gzip without name or timestamp):
  {"provider", "provider_version", "source", "meta_arguments", "resources", "data_sources"}
  <block> = {"attributes": {name: "r"|"o"|"oc"|"c"}, "blocks": {name: {"nesting": "single"|"list", "min": 0|1,
             "block": <block>}}}   ("blocks" omitted when empty)
Flags: "r" required argument; "oc" optional argument with a same-named getter on the resource / OutputReference class
(cdktf generates one for every argument, so in practice every optional argument); "o" optional without a getter;
"c" getter only (exported, not settable). Nested block properties (a struct, or a list of structs, documented as
"<name> block.") go under "blocks": a struct is "single", a list "list"; "min" is 1 when the property is required.
An SDKv2 attribute typed list of objects (aws_security_group ingress/egress, aws_route_table route, ...) is listed in
both maps, since Terraform accepts it as `name = [...]` and as `name { }` blocks. Plugin-framework nested attributes
(struct / list / map of structs not documented as blocks) are plain attributes. The few blocks cdktf typed `any`
(aws_wafv2_web_acl rule.statement, aws_quicksight_* definition) are single blocks with empty content.
Python 3 standard library only.
"""
import collections
import gzip
import io
import json
import os
import re
import sys
import tarfile
import zipfile

PROVIDER = "hashicorp/aws"
# cdktf.TerraformMetaArguments (connection, count, dependsOn, forEach, lifecycle, provider, provisioners), spelled as
# Terraform spells them in HCL: cdktf's `provisioners` array is written as repeated `provisioner "<type>" {}` blocks.
META_ARGUMENTS = ["connection", "count", "depends_on", "for_each", "lifecycle", "provider", "provisioner"]

# "Docs at Terraform Registry: {@link https://registry.terraform.io/providers/hashicorp/aws/6.25.0/docs/resources/s3_bucket#bucket S3Bucket#bucket}"
DOC_LINK = re.compile(r"\{@link https://registry\.terraform\.io/providers/[^/\s]+/[^/\s]+/[^/\s]+/docs/"
                      r"(?:resources|data-sources)/[^#\s}]+#([^\s}]+)[\s}]")
TYPE_LINK = re.compile(r"\{@link https://registry\.terraform\.io/providers/([^/\s]+/[^/\s]+)/([^/\s]+)/docs/"
                       r"(resources|data-sources)/([^#\s}]+) ([^\s}]+)\}")
# Generated JS.
JS_CLASS = re.compile(r"^class (\w+) extends [\w.]+ \{$(.*?)^\}$", re.M | re.S)
JS_FUNC = re.compile(r"^function (\w+)ToTerraform\(struct\) \{$(.*?)^\}$", re.M | re.S)
JS_SYNTH = re.compile(r"^    synthesizeAttributes\(\) \{$(.*?)^    \}$", re.M | re.S)
JS_KEY = re.compile(r"^\s+([A-Za-z0-9_\-]+|\"[^\"]+\"): .*\((?:struct(?:\.|\[\")|this\._)(\w+)(?:\"\])?(?:\.internalValue)?\),?$",
                    re.M)
JS_ATTR_GETTER = re.compile(r"get (\w+)\(\) \{\s*return (?:cdktf\.Fn\.\w+\()?this\.\w+\('([^']+)'\)\)?;")
JS_FIELD_GETTER = re.compile(r"get (\w+)\(\) \{\s*return this\._(\w+);")
JS_NEW_FIELD = re.compile(r"this\._(\w+) = new [\w.]+\(this, \"([^\"]+)\"")
JS_RESOURCE_TYPE = re.compile(r"^(\w+)\.tfResourceType = \"([^\"]+)\";$", re.M)


def camel_to_snake(name):
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def lower_first(name):
    return name[:1].lower() + name[1:]


class Extractor:
    def __init__(self, assembly, js_files):
        self.types = assembly["types"]
        self.js = {}  # "s3-bucket/index" (lib/<path>.js; big modules add "<dir>/index-structs/structs0") -> JS facts
        for path, text in js_files.items():
            self.js[path] = self.parse_js(text)
        self.stats = collections.Counter()
        self.notes = collections.defaultdict(set)

    @staticmethod
    def parse_js(text):
        classes = {}
        for name, body in JS_CLASS.findall(text):
            getters = {}
            fields = dict(JS_NEW_FIELD.findall(body))
            for camel, snake in JS_ATTR_GETTER.findall(body):
                getters[camel] = snake
            for camel, field in JS_FIELD_GETTER.findall(body):
                if camel not in getters and field in fields:
                    getters[camel] = fields[field]
            synth = {}
            m = JS_SYNTH.search(body)
            if m:
                synth = {camel: key.strip('"') for key, camel in JS_KEY.findall(m.group(1))}
            classes[name] = {"getters": getters, "synth": synth}
        structs = {}
        for func, body in JS_FUNC.findall(text):
            structs[func] = {camel: key.strip('"') for key, camel in JS_KEY.findall(body)}
        resource_types = dict(JS_RESOURCE_TYPE.findall(text))
        return {"classes": classes, "structs": structs, "resource_types": resource_types}

    def js_for(self, jsii_type):
        filename = jsii_type.get("locationInModule", {}).get("filename", "")
        module = filename[len("src/"):-len(".ts")] if filename.startswith("src/") and filename.endswith(".ts") else ""
        return self.js.get(module, {"classes": {}, "structs": {}, "resource_types": {}})

    # ---- names

    def arg_name(self, prop, js_names, where):
        """Terraform name of a struct property: generated JS mapping, then the docs link, then camelCase conversion."""
        docs = prop.get("docs", {})
        link = DOC_LINK.search(docs.get("summary", "") + " " + docs.get("remarks", "") + " ")
        from_link = link.group(1) if link else None
        from_js = js_names.get(prop["name"])
        converted = camel_to_snake(prop["name"])
        name = from_js or from_link or converted
        if from_js and from_link and from_js != from_link:
            self.notes["js_vs_doc_link"].add(f"{where}.{prop['name']}: js={from_js} link={from_link}")
        if name != converted:
            self.notes["not_camel_case_conversion"].add(f"{where}.{prop['name']} -> {name}")
        if not from_js and not from_link:
            self.stats["names_by_conversion_only"] += 1
        return name

    def getter_name(self, prop, js_class, where):
        name = js_class["getters"].get(prop["name"])
        converted = camel_to_snake(prop["name"])
        if name is None:
            self.stats["computed_names_by_conversion_only"] += 1
            return converted
        if name != converted:
            self.notes["not_camel_case_conversion"].add(f"{where}.{prop['name']} (computed) -> {name}")
        return name

    # ---- types

    def struct_of(self, fqn):
        t = self.types.get(fqn)
        return t if t is not None and t.get("datatype") else None

    def classify(self, type_ref):
        """("struct", fqn) | ("list", fqn) | ("map", fqn) | ("any", None) | ("value", None)."""
        if type_ref.get("primitive") == "any":
            return "any", None
        if "fqn" in type_ref and self.struct_of(type_ref["fqn"]):
            return "struct", type_ref["fqn"]
        if "union" in type_ref:
            for member in type_ref["union"]["types"]:
                kind, fqn = self.classify(member)
                if kind in ("list", "map"):
                    return kind, fqn
            return "value", None
        if "collection" in type_ref:
            element = type_ref["collection"]["elementtype"]
            if "fqn" in element and self.struct_of(element["fqn"]):
                return ("list" if type_ref["collection"]["kind"] == "array" else "map"), element["fqn"]
        return "value", None

    # ---- blocks

    def block(self, struct, getter_class, js_names, js_class, where, attr_as_blocks):
        """The <block> of a struct (a Config or a nested block type).

        getter_class: the jsii class whose getters expose the block's values (the resource class, or the struct's
        OutputReference); its same-named getters make optional arguments "oc", its other getters are "c".
        """
        attributes, blocks = {}, {}
        arguments = set()
        for prop in struct.get("properties", []):
            arguments.add(prop["name"])
            name = self.arg_name(prop, js_names, where)
            optional = bool(prop.get("optional"))
            kind, fqn = self.classify(prop["type"])
            is_block_doc = prop.get("docs", {}).get("summary", "").endswith(" block.")
            has_getter = getter_class is not None and any(
                p["name"] == prop["name"] and not p.get("static") for p in getter_class.get("properties", []))
            flag = "r" if not optional else ("oc" if has_getter else "o")
            if kind in ("struct", "list", "any") and is_block_doc:
                nesting = "list" if kind == "list" else "single"
                if kind == "any":
                    # cdktf stopped generating types this deep; the block's content is not described.
                    self.notes["untyped_blocks"].add(f"{where}.{name}")
                    inner = {"attributes": {}}
                else:
                    inner = self.nested(fqn, f"{where}.{name}", attr_as_blocks)
                blocks[name] = {"nesting": nesting, "min": 0 if optional else 1, "block": inner}
                self.stats["blocks_" + nesting] += 1
            elif kind == "list" and attr_as_blocks:
                # SDKv2 attribute of type list/set of objects (e.g. aws_security_group ingress): Terraform accepts
                # it both as `name = [...]` and as repeated `name { }` blocks, so it is listed in both maps.
                attributes[name] = flag
                blocks[name] = {"nesting": "list", "min": 0 if optional else 1,
                                "block": self.nested(fqn, f"{where}.{name}", attr_as_blocks)}
                self.notes["attributes_as_blocks"].add(f"{where}.{name}")
            else:
                if kind in ("struct", "list", "map"):
                    # Plugin-framework nested attribute (`name = {...}` / `[{...}]` / `{k = {...}}`), or a map of
                    # objects: an attribute, its inner structure is not kept.
                    self.notes["object_typed_attributes"].add(f"{where}.{name} ({kind})")
                attributes[name] = flag
        if getter_class is not None:
            for prop in getter_class.get("properties", []):
                pname = prop["name"]
                if prop.get("static") or not prop.get("immutable") or pname in arguments or pname == "internalValue":
                    continue
                if pname.endswith("Input") and pname[:-len("Input")] in arguments:
                    continue
                name = self.getter_name(prop, js_class, where)
                attributes.setdefault(name, "c")
        out = {"attributes": dict(sorted(attributes.items()))}
        if blocks:
            out["blocks"] = dict(sorted(blocks.items()))
        return out

    def nested(self, fqn, where, attr_as_blocks):
        struct = self.types[fqn]
        js = self.js_for(struct)
        js_names = js["structs"].get(lower_first(struct["name"]), {})
        if not js_names and struct.get("properties"):
            self.stats["nested_structs_without_js_mapping"] += 1
        ref = self.types.get(fqn + "OutputReference")
        js_class = js["classes"].get(struct["name"] + "OutputReference", {"getters": {}})
        return self.block(struct, ref, js_names, js_class, where, attr_as_blocks)

    def top(self, cls):
        js = self.js_for(cls)
        config_fqn = next(p["type"]["fqn"] for p in cls["initializer"]["parameters"] if p["name"] == "config")
        config = self.types[config_fqn]
        type_name = js["resource_types"].get(cls["name"])
        link = TYPE_LINK.search(cls.get("docs", {}).get("summary", ""))
        link_name = link.group(5) if link else None
        if type_name is None:
            type_name = link_name
        elif link_name and link_name != type_name:
            self.notes["type_name_js_vs_doc_link"].add(f"{cls['name']}: js={type_name} link={link_name}")
        js_class = js["classes"].get(cls["name"], {"getters": {}, "synth": {}})
        config_names = {p["name"] for p in config.get("properties", [])}
        # SDKv2 resources always carry an optional+computed `id` argument; plugin-framework ones do not.
        sdkv2 = "id" in config_names
        out = self.block(config, cls, js_class["synth"], js_class, type_name, attr_as_blocks=sdkv2)
        is_resource = cls["base"] == "cdktf.TerraformResource"
        if "id" not in out["attributes"]:
            out["attributes"]["id"] = "oc" if is_resource else "c"
            out["attributes"] = dict(sorted(out["attributes"].items()))
            self.stats["id_added_" + ("resource" if is_resource else "data_source")] += 1
        return type_name, out, (link.group(2) if link else None)


def read_wheel(path):
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        version = re.search(r"^Version: (\S+)$", wheel.read(metadata).decode(), re.M).group(1)
        distribution = re.search(r"^Name: (\S+)$", wheel.read(metadata).decode(), re.M).group(1)
        tgz = [n for n in names if "/_jsii/" in n and n.endswith(".jsii.tgz")]
        if len(tgz) != 1:
            sys.exit(f"expected one _jsii/*.jsii.tgz in {path}, found {tgz}")
        blob = wheel.read(tgz[0])
    files, js = {}, {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for member in tar:
            if not member.isfile():
                continue
            name = member.name
            m = re.fullmatch(r"package/lib/(.+)\.js", name)
            if m:
                js[m.group(1)] = tar.extractfile(member).read().decode()
            elif name.startswith("package/.jsii") or name == "package/package.json":
                files[name[len("package/"):]] = tar.extractfile(member).read()
    assembly = json.loads(files[".jsii"])
    if assembly.get("schema") == "jsii/file-redirect":
        target = files[assembly["filename"]]
        if assembly.get("compression") == "gzip" or assembly["filename"].endswith(".gz"):
            target = gzip.decompress(target)
        assembly = json.loads(target)
    package = json.loads(files.get("package.json", b"{}"))
    return distribution, version, assembly, package, js


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(__doc__)
    wheel_path, out_path = argv[1], argv[2]
    version_path = argv[3] if len(argv) == 4 else None
    distribution, wheel_version, assembly, package, js = read_wheel(wheel_path)
    ex = Extractor(assembly, js)
    resources, data_sources = {}, {}
    link_versions = collections.Counter()
    for fqn in sorted(ex.types):
        cls = ex.types[fqn]
        if cls.get("kind") != "class" or cls.get("base") not in ("cdktf.TerraformResource", "cdktf.TerraformDataSource"):
            continue
        type_name, block, link_version = ex.top(cls)
        link_versions[link_version] += 1
        target = resources if cls["base"] == "cdktf.TerraformResource" else data_sources
        if type_name in target:
            sys.exit(f"duplicate {type_name}")
        target[type_name] = block
    provider_version = package.get("cdktf", {}).get("provider", {}).get("version")
    if not provider_version:
        provider_version = link_versions.most_common(1)[0][0]
    elif set(link_versions) != {provider_version}:
        print(f"warning: package.json says provider {provider_version}, docs links say {dict(link_versions)}",
              file=sys.stderr)
    schema = {
        "provider": PROVIDER,
        "provider_version": provider_version,
        "source": f"{distribution} {wheel_version}",
        "meta_arguments": META_ARGUMENTS,
        "resources": resources,
        "data_sources": data_sources,
    }
    text = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as out:
        out.write(text)
    with open(out_path, "wb") as out:
        out.write(buffer.getvalue())
    if version_path:
        with open(version_path, "w") as out:
            out.write(f"{distribution} {wheel_version} ({PROVIDER} {provider_version})\n")
    if "--verbose" in sys.argv or os.environ.get("PROVIDER_SCHEMA_VERBOSE"):
        for key, value in sorted(ex.stats.items()):
            print(f"  {key}: {value}", file=sys.stderr)
        for key, items in sorted(ex.notes.items()):
            print(f"  {key}: {len(items)}", file=sys.stderr)
            for item in sorted(items):
                print(f"    {item}", file=sys.stderr)
    print(f"{len(resources)} resources, {len(data_sources)} data sources of {PROVIDER} {provider_version} "
          f"from {distribution} {wheel_version}: {out_path} ({len(buffer.getvalue())} bytes gzipped, "
          f"{len(text)} bytes JSON)")


if __name__ == "__main__":
    main([a for a in sys.argv if a != "--verbose"])
