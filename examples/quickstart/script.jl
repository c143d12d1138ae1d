# A small job for the quickstart: count words with DataStructures, write and read JSON.
using DataStructures, JSON

words = split("the quick brown fox jumps over the lazy dog and the quick cat")
counts = counter(words)
top = sort(collect(counts); by = last, rev = true)[1:3]
doc = OrderedDict("words" => length(words), "distinct" => length(counts), "top" => OrderedDict(top))
text = JSON.json(doc)
back = JSON.parse(text; dicttype = OrderedDict)
back["distinct"] == length(counts) || error("JSON round trip lost data")
println(text)
