#include "domain/query/query.hpp"

#include <algorithm>

#include "domain/query/expr_parser.hpp"
#include "domain/query/syntax_error.hpp"

namespace offhub::domain::query {
namespace {

std::size_t CountCodePoints(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void AssignSlot(Expr& e, PathSlots& slots) {
  const auto same = std::find_if(slots.begin(), slots.end(), [&](const CompiledPath* p) {
    return p->root == e.path.root && p->keys == e.path.keys;
  });
  e.slot = static_cast<std::size_t>(same - slots.begin());
  if (same == slots.end()) slots.push_back(&e.path);
}

// Compiles every path of the tree for the query's source and numbers it.
Status Bind(Expr& e, QuerySource source, PathSlots& slots) {
  if (e.kind == ExprKind::kPath) {
    if (source != QuerySource::kDeviceJobs) {
      e.path = CompileTwinPath(e.segments);
    } else {
      auto path = CompileJobPath(e.segments, e.column);
      if (!path) return path.error();
      e.path = std::move(*path);
    }
    AssignSlot(e, slots);
    return Success();
  }
  for (auto& arg : e.args) {
    if (auto s = Bind(*arg, source, slots); !s) return s;
  }
  return Success();
}

bool SamePath(const Expr& a, const Expr& b) {
  return a.kind == ExprKind::kPath && b.kind == ExprKind::kPath && a.path.root == b.path.root &&
         a.path.keys == b.path.keys;
}

class StatementParser {
 public:
  StatementParser(std::vector<Token> tokens, std::string text) : p_(std::move(tokens)) {
    query_.text = std::move(text);
  }

  Result<Query> Run() {
    if (auto s = ParseSelect(); !s) return s.error();
    if (auto s = ParseFrom(); !s) return s.error();
    if (auto s = ParseWhere(); !s) return s.error();
    if (auto s = ParseGroupBy(); !s) return s.error();
    if (!p_.AtEnd()) return p_.Unexpected("end of query");
    if (auto s = BindAll(); !s) return s.error();
    if (auto s = Validate(); !s) return s.error();
    return std::move(query_);
  }

 private:
  Status ParseSelect() {
    if (!p_.TakeKeyword("select")) return p_.Unexpected("SELECT");
    if (p_.AtKeyword("top")) {
      p_.Take();
      const Token& n = p_.Peek();
      if (n.kind != TokenKind::kNumber || !n.is_integer) return p_.Unexpected("a non-negative integer after TOP");
      query_.top = n.integer;
      p_.Take();
    }
    if (p_.Peek().kind == TokenKind::kStar) {
      p_.Take();
      query_.select_all = true;
      return Success();
    }
    do {
      if (auto s = ParseItem(); !s) return s;
    } while (p_.Peek().kind == TokenKind::kComma && (p_.Take(), true));
    return Success();
  }

  Status ParseItem() {
    const int before = p_.aggregate_count();
    const std::size_t column = p_.Peek().column;
    auto expr = p_.ParseExpr();
    if (!expr) return expr.error();
    const int aggregates = p_.aggregate_count() - before;
    if (aggregates > 0 && ((*expr)->kind != ExprKind::kAggregate || aggregates > 1)) {
      return SyntaxError(column, "an aggregate must be a whole SELECT item");
    }
    query_.has_aggregates |= aggregates > 0;
    Projection item{std::move(*expr), {}};
    if (p_.TakeKeyword("as")) {
      const TokenKind k = p_.Peek().kind;
      const bool reserved = k == TokenKind::kIdentifier && IsReservedWord(p_.Peek().text);
      if ((k != TokenKind::kIdentifier && k != TokenKind::kEscapedName) || reserved) {
        return p_.Unexpected("an alias after AS");
      }
      item.name = p_.Take().text;
    } else if (item.expr->kind == ExprKind::kPath) {
      item.name = item.expr->segments.back();
    } else {
      item.name = "$" + std::to_string(++unnamed_);
    }
    query_.projections.push_back(std::move(item));
    return Success();
  }

  Status ParseFrom() {
    if (!p_.TakeKeyword("from")) return p_.Unexpected("FROM");
    if (!p_.TakeKeyword("devices")) return p_.Unexpected("'devices', 'devices.modules' or 'devices.jobs'");
    if (p_.Peek().kind != TokenKind::kDot) return Success();
    p_.Take();
    if (p_.TakeKeyword("jobs")) {
      query_.source = QuerySource::kDeviceJobs;
      return Success();
    }
    if (p_.TakeKeyword("modules")) {
      query_.source = QuerySource::kModules;
      return Success();
    }
    return p_.Unexpected("'jobs' or 'modules' after 'devices.'");
  }

  Status ParseWhere() {
    if (!p_.TakeKeyword("where")) return Success();
    const int before = p_.aggregate_count();
    const std::size_t column = p_.Peek().column;
    auto expr = p_.ParseExpr();
    if (!expr) return expr.error();
    if (p_.aggregate_count() != before) return SyntaxError(column, "aggregates are not allowed in WHERE");
    query_.where = std::move(*expr);
    return Success();
  }

  Status ParseGroupBy() {
    if (!p_.AtKeyword("group")) return Success();
    p_.Take();
    if (!p_.TakeKeyword("by")) return p_.Unexpected("BY after GROUP");
    do {
      const TokenKind k = p_.Peek().kind;
      if (k != TokenKind::kIdentifier && k != TokenKind::kEscapedName) return p_.Unexpected("a property path");
      auto expr = p_.ParseExpr();
      if (!expr) return expr.error();
      if ((*expr)->kind != ExprKind::kPath) return SyntaxError((*expr)->column, "GROUP BY takes property paths");
      query_.group_by.push_back(std::move(*expr));
    } while (p_.Peek().kind == TokenKind::kComma && (p_.Take(), true));
    return Success();
  }

  Status BindAll() {
    for (auto& item : query_.projections) {
      if (auto s = Bind(*item.expr, query_.source, query_.slots); !s) return s;
    }
    if (query_.where) {
      if (auto s = Bind(*query_.where, query_.source, query_.slots); !s) return s;
    }
    for (auto& g : query_.group_by) {
      if (auto s = Bind(*g, query_.source, query_.slots); !s) return s;
    }
    return Success();
  }

  Status Validate() const {
    const std::size_t column = 1;
    if (query_.source == QuerySource::kDeviceJobs) {
      if (!query_.select_all) return SyntaxError(column, "devices.jobs queries support only SELECT *");
      if (!query_.group_by.empty()) return SyntaxError(column, "devices.jobs queries do not support GROUP BY");
      return Success();
    }
    if (query_.select_all && !query_.group_by.empty()) return SyntaxError(column, "SELECT * cannot be grouped");
    for (const auto& item : query_.projections) {
      if (item.expr->kind == ExprKind::kAggregate) continue;
      if (query_.group_by.empty() && query_.has_aggregates) {
        return SyntaxError(item.expr->column, "cannot mix aggregates with other items without GROUP BY");
      }
      if (query_.group_by.empty()) continue;
      const bool grouped = std::any_of(query_.group_by.begin(), query_.group_by.end(),
                                       [&](const auto& g) { return SamePath(*g, *item.expr); });
      if (!grouped) return SyntaxError(item.expr->column, "item is neither an aggregate nor a GROUP BY path");
    }
    return Success();
  }

  ExprParser p_;
  Query query_;
  int unnamed_ = 0;
};

}  // namespace

Result<Query> ParseQuery(std::string_view text) {
  if (CountCodePoints(text) > kMaxQueryLength) {
    return SyntaxError(kMaxQueryLength + 1, "query longer than 8192 characters");
  }
  auto tokens = Lex(text);
  if (!tokens) return tokens.error();
  return StatementParser(std::move(*tokens), std::string(text)).Run();
}

Result<std::string> JobTargetQuery(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  const std::string_view head = first == std::string_view::npos ? std::string_view{} : text.substr(first, 5);
  const bool from_form = head.size() == 5 && (head[0] | 0x20) == 'f' && (head[1] | 0x20) == 'r' &&
                         (head[2] | 0x20) == 'o' && (head[3] | 0x20) == 'm' &&
                         (head[4] == ' ' || head[4] == '\t' || head[4] == '\r' || head[4] == '\n');
  std::string sql = (from_form ? "SELECT deviceId, moduleId " : "SELECT deviceId FROM devices WHERE ") + std::string(text);
  if (CountCodePoints(sql) > kMaxQueryLength) {
    return Error::PreconditionFailed("The job's query is longer than " + std::to_string(kMaxQueryLength) +
                                     " characters: its queryCondition with the hub's own SELECT around it.");
  }
  if (!from_form) {
    auto condition = ParseCondition(text);
    if (!condition) return condition.error();
    if (!condition->expr) return std::string("SELECT deviceId FROM devices");
    return sql;
  }
  auto query = ParseQuery(sql);
  if (!query) return query.error();
  if (query->source == QuerySource::kDeviceJobs) return Error::BadRequest("A job cannot target devices.jobs.");
  if (query->top || !query->group_by.empty() || query->has_aggregates) {
    return Error::BadRequest("A job's query condition selects identities only: no TOP, GROUP BY or aggregates.");
  }
  return sql;
}

Result<Condition> ParseCondition(std::string_view text) {
  if (CountCodePoints(text) > kMaxQueryLength) {
    return SyntaxError(kMaxQueryLength + 1, "condition longer than 8192 characters");
  }
  auto tokens = Lex(text);
  if (!tokens) return tokens.error();
  if (tokens->size() == 2 && tokens->front().kind == TokenKind::kStar) return Condition{};
  ExprParser p(std::move(*tokens));
  if (p.AtEnd()) return p.Unexpected("a condition or '*'");
  auto expr = p.ParseExpr();
  if (!expr) return expr.error();
  if (!p.AtEnd()) return p.Unexpected("end of condition");
  if (p.aggregate_count() > 0) return SyntaxError(1, "aggregates are not allowed in a condition");
  Condition condition{std::move(*expr), {}};
  if (auto s = Bind(*condition.expr, QuerySource::kDevices, condition.slots); !s) return s.error();
  return condition;
}

}  // namespace offhub::domain::query
